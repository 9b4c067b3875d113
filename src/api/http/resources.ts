/**
 * @module api/http/resources
 * The HTTP face of the generic registry: turns a parsed RequestInfo into a registry call
 * and the result into the response kubectl expects (objects, lists, Tables, watch
 * streams, Status errors). One path for every resource; subresources status and scale
 * are generic, the others are the kind's own handlers.
 */
import { ApiError, errors } from "../errors.ts";
import type { CatalogEntry } from "../registry/catalog.ts";
import type { GenericRegistry, ListOptions, WatchOptions, DeleteOptions } from "../registry/generic.ts";
import type { Obj, OpContext, UserInfo } from "../registry/types.ts";
import { apiVersionOf } from "../registry/types.ts";
import { toTable, partialObjectMetadata, type IncludeObject } from "../table.ts";
import { readDeleteOptions, readObjectBody, readPatchBody } from "./body.ts";
import { negotiateAs } from "./negotiate.ts";
import { queryBool, type RequestInfo } from "./request-info.ts";
import { json, withWarnings } from "./respond.ts";
import { watchResponse } from "./watch-stream.ts";
import { applyPatch } from "../registry/patching.ts";
import { managerFromUserAgent } from "../patch/apply.ts";

export interface ResourceRequest {
  req: Request;
  url: URL;
  info: RequestInfo;
  entry: CatalogEntry;
  user: UserInfo;
  /** For WebSocket subresources. */
  upgrade?: (data: unknown, protocols: string[]) => Response | undefined;
}

function opContext(q: URLSearchParams, user: UserInfo, userAgent?: string | null): OpContext {
  const dryRun = q.getAll("dryRun");
  for (const d of dryRun) if (d !== "All") throw errors.badRequest(`dryRun: Unsupported value: "${d}": supported values: "All"`);
  const fv = q.get("fieldValidation") ?? "Warn";
  if (!["Strict", "Warn", "Ignore"].includes(fv)) throw errors.badRequest(`fieldValidation: Unsupported value: "${fv}": supported values: "Ignore", "Strict", "Warn"`);
  const fm = q.get("fieldManager") ?? undefined;
  if (fm !== undefined && fm.length > 128) throw errors.badRequest("fieldManager: Too long: may not be more than 128 bytes");
  return { user, now: new Date(), dryRun: dryRun.length > 0, fieldManager: fm ?? managerFromUserAgent(userAgent), fieldValidation: fv as OpContext["fieldValidation"], warnings: [] };
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === "") return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw errors.badRequest(`${name}: Invalid value: "${v}": must be a non-negative integer`);
  return n;
}

function listOptions(q: URLSearchParams): ListOptions {
  return {
    labelSelector: q.get("labelSelector") ?? undefined,
    fieldSelector: q.get("fieldSelector") ?? undefined,
    limit: intParam(q, "limit"),
    continue: q.get("continue") ?? undefined,
    resourceVersion: q.get("resourceVersion") ?? undefined,
    resourceVersionMatch: q.get("resourceVersionMatch") ?? undefined,
  };
}

/** Default watch lifetime when the client gives no timeoutSeconds: 30-60 min like kube-apiserver. */
function defaultWatchTimeoutMs() {
  return (1800 + Math.floor(Math.random() * 1800)) * 1000;
}

function includeObject(q: URLSearchParams): IncludeObject {
  const v = q.get("includeObject");
  if (v === "None" || v === "Object" || v === "Metadata") return v;
  return "Metadata";
}

function render(entry: CatalogEntry, obj: Obj, req: Request, q: URLSearchParams, status = 200, ctx?: OpContext): Response {
  const as = negotiateAs(req.headers.get("accept"));
  let body: Obj = obj;
  if (as === "table" && obj.kind !== "Status") body = toTable(entry.def, [obj], { resourceVersion: obj.metadata?.resourceVersion, include: includeObject(q) });
  else if (as === "partial" && obj.kind !== "Status") body = partialObjectMetadata(obj);
  const res = json(body, status);
  return ctx ? withWarnings(res, ctx.warnings) : res;
}

export async function handleResource(r: ResourceRequest): Promise<Response> {
  const { req, url, info, entry } = r;
  const q = url.searchParams;
  const def = entry.def;
  const reg = entry.registry;
  const ns = def.namespaced ? info.namespace : undefined;
  if (!def.namespaced && info.namespace) throw errors.notFoundPath();
  const verb = info.verb;
  const needsNs = def.namespaced && !["list", "watch", "deletecollection"].includes(verb) && !(verb === "create" && def.virtual);
  if (needsNs && !ns) throw errors.notFoundPath();
  const served = def.verbs ?? (def.virtual ? ["create"] : undefined);
  if (served && !info.subresource && !served.includes(verb)) throw errors.methodNotAllowed();

  if (info.subresource) return handleSubresource(r, ns);

  switch (verb) {
    case "get": {
      const obj = await reg.get(ns, info.name!, q.get("resourceVersion") ?? undefined);
      return render(entry, obj, req, q);
    }
    case "list": {
      const opts = listOptions(q);
      const res = await reg.list(ns, opts);
      const as = negotiateAs(req.headers.get("accept"));
      if (as === "table") {
        return json(toTable(def, res.items, { resourceVersion: res.resourceVersion, continue: res.continue, remainingItemCount: res.remainingItemCount, include: includeObject(q) }));
      }
      const meta: Obj = { resourceVersion: res.resourceVersion };
      if (res.continue) meta.continue = res.continue;
      if (res.remainingItemCount !== undefined) meta.remainingItemCount = res.remainingItemCount;
      if (as === "partial") {
        return json({ kind: "PartialObjectMetadataList", apiVersion: "meta.k8s.io/v1", metadata: meta, items: res.items.map(partialObjectMetadata) });
      }
      return json({ kind: def.listKind ?? `${def.kind}List`, apiVersion: apiVersionOf(def), metadata: meta, items: res.items });
    }
    case "watch":
      return startWatch(r, reg, ns, info.name);
    case "create": {
      const ctx = opContext(q, r.user, req.headers.get("user-agent"));
      const body = (await readObjectBody(req)) as Obj;
      if (body === undefined) throw errors.badRequest("the body of the request must not be empty");
      const obj = await reg.create(ns ?? (def.namespaced ? (body?.metadata?.namespace as string | undefined) : undefined), body, ctx);
      return render(entry, obj, req, q, def.virtual ? 201 : 201, ctx);
    }
    case "update": {
      const ctx = opContext(q, r.user, req.headers.get("user-agent"));
      const body = (await readObjectBody(req)) as Obj;
      if (body === undefined) throw errors.badRequest("the body of the request must not be empty");
      const { obj, created } = await reg.update(ns, info.name!, body, ctx);
      return render(entry, obj, req, q, created ? 201 : 200, ctx);
    }
    case "patch": {
      const ctx = opContext(q, r.user, req.headers.get("user-agent"));
      const { type, patch } = await readPatchBody(req);
      if (type === "apply" && !q.get("fieldManager")) throw errors.badRequest("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");
      const force = queryBool(q, "force");
      const { obj, created } = await reg.patch(ns, info.name!, type, patch, ctx, { force });
      return render(entry, obj, req, q, created ? 201 : 200, ctx);
    }
    case "delete": {
      const ctx = opContext(q, r.user, req.headers.get("user-agent"));
      const opts = (await readDeleteOptions(req, q)) as DeleteOptions;
      if (opts.dryRun) ctx.dryRun = true;
      const { obj, deleted } = await reg.delete(ns, info.name!, opts, ctx);
      return render(entry, obj, req, q, deleted || obj.metadata?.deletionTimestamp ? 200 : 202, ctx);
    }
    case "deletecollection": {
      const ctx = opContext(q, r.user, req.headers.get("user-agent"));
      const opts = (await readDeleteOptions(req, q)) as DeleteOptions;
      if (opts.dryRun) ctx.dryRun = true;
      const items = await reg.deleteCollection(ns, listOptions(q), opts, ctx);
      return json({ kind: def.listKind ?? `${def.kind}List`, apiVersion: apiVersionOf(def), metadata: {}, items });
    }
  }
  throw errors.methodNotAllowed();
}

async function startWatch(r: ResourceRequest, reg: GenericRegistry, ns: string | undefined, name?: string): Promise<Response> {
  const q = r.url.searchParams;
  const opts: WatchOptions = {
    ...listOptions(q),
    allowWatchBookmarks: queryBool(q, "allowWatchBookmarks"),
    timeoutSeconds: intParam(q, "timeoutSeconds"),
    sendInitialEvents: queryBool(q, "sendInitialEvents"),
  };
  if (name) opts.fieldSelector = [opts.fieldSelector, `metadata.name=${name}`].filter(Boolean).join(",");
  const w = await reg.watch(ns, opts);
  const as = negotiateAs(r.req.headers.get("accept"));
  const include = includeObject(q);
  const def = r.entry.def;
  return watchResponse(w, {
    timeoutMs: opts.timeoutSeconds !== undefined ? opts.timeoutSeconds * 1000 : defaultWatchTimeoutMs(),
    transform:
      as === "table"
        ? (ev, first) => toTable(def, [ev.object], { resourceVersion: ev.object.metadata?.resourceVersion, include, withColumns: first })
        : as === "partial"
          ? (ev) => partialObjectMetadata(ev.object)
          : undefined,
  });
}

async function handleSubresource(r: ResourceRequest, ns: string | undefined): Promise<Response> {
  const { req, url, info, entry } = r;
  const q = url.searchParams;
  const def = entry.def;
  const reg = entry.registry;
  const sub = info.subresource!;
  const name = info.name!;
  if (sub === "status" && def.statusSubresource) {
    switch (info.verb) {
      case "get":
        return render(entry, await reg.get(ns, name), req, q);
      case "update": {
        const ctx = opContext(q, r.user, req.headers.get("user-agent"));
        const body = (await readObjectBody(req)) as Obj;
        const { obj } = await reg.update(ns, name, body, ctx, "status");
        return render(entry, obj, req, q, 200, ctx);
      }
      case "patch": {
        const ctx = opContext(q, r.user, req.headers.get("user-agent"));
        const { type, patch } = await readPatchBody(req);
        const { obj } = await reg.patch(ns, name, type, patch, ctx, { subresource: "status", force: queryBool(q, "force") });
        return render(entry, obj, req, q, 200, ctx);
      }
    }
    throw errors.methodNotAllowed();
  }
  if (sub === "finalize" && def.finalizeSubresource && info.verb === "update") {
    const ctx = opContext(q, r.user, req.headers.get("user-agent"));
    const body = (await readObjectBody(req)) as Obj;
    const { obj } = await reg.update(ns, name, body, ctx, "finalize");
    return render(entry, obj, req, q, 200, ctx);
  }
  if (sub === "scale" && def.scale) {
    switch (info.verb) {
      case "get":
        return json(await reg.getScale(ns, name));
      case "update": {
        const ctx = opContext(q, r.user, req.headers.get("user-agent"));
        const body = (await readObjectBody(req)) as Obj;
        return json(await reg.updateScale(ns, name, body, ctx));
      }
      case "patch": {
        const ctx = opContext(q, r.user, req.headers.get("user-agent"));
        const { type, patch } = await readPatchBody(req);
        const scaleDef = { group: "autoscaling", version: "v1", kind: "Scale", plural: "scale", singular: "scale", namespaced: true };
        // Like upstream's patch handler, the patch is applied to the latest object and retried
        // when a concurrent write (a controller's status update) wins; only a resourceVersion
        // the patch itself sets is a precondition.
        for (let attempt = 0; ; attempt++) {
          const current = await reg.getScale(ns, name);
          const patched = applyPatch(scaleDef, current, type, patch, { manager: ctx.fieldManager ?? "", force: queryBool(q, "force"), now: ctx.now });
          const pinned = patched.metadata?.resourceVersion !== undefined && patched.metadata.resourceVersion !== current.metadata.resourceVersion;
          try {
            return json(await reg.updateScale(ns, name, patched, ctx));
          } catch (e) {
            if (pinned || attempt >= 10 || !(e instanceof ApiError && e.code === 409)) throw e;
          }
        }
      }
    }
    throw errors.methodNotAllowed();
  }
  const handler = def.subresources?.[sub];
  if (!handler) throw errors.notFoundPath();
  const verbForHandler = info.verb === "get" || info.verb === "list" ? "get" : info.verb;
  if (!handler.verbs.includes(verbForHandler) && !(req.headers.get("upgrade") && handler.verbs.includes("get"))) throw errors.methodNotAllowed();
  const ctx = opContext(q, r.user, req.headers.get("user-agent"));
  let body: Obj | undefined;
  if (req.method === "POST" || req.method === "PUT") {
    const ct = req.headers.get("content-type") ?? "";
    if (!req.headers.get("upgrade") && (ct.includes("json") || ct.includes("yaml") || ct.includes("protobuf"))) body = (await readObjectBody(req)) as Obj;
  }
  try {
    return await handler.handle({ request: req, method: req.method, namespace: ns, name, ctx, url, body, upgrade: r.upgrade });
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw e;
  }
}
