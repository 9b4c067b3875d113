/**
 * @module server/api-extensions
 * The parts of the API server that need the (large) generated schemas, kept out of the
 * agent's import graph: strict field validation, protobuf request bodies, OpenAPI v2/v3
 * built from the live catalog, and CustomResourceDefinitions, whose custom resources are
 * added to and removed from the catalog as CRDs change in the store.
 */
import type { Store } from "../store/types.ts";
import type { Catalog } from "../api/registry/catalog.ts";
import type { Obj, ResourceDef } from "../api/registry/types.ts";
import { setFieldChecker } from "../api/registry/fields.ts";
import { setProtobufDecoder } from "../api/http/body.ts";
import { ApiError, errors } from "../api/errors.ts";
import { checkBuiltinFields } from "../api/schema/validate.ts";
import { checkCustomFields } from "../api/schema/validate-custom.ts";
import { schemaNameFor } from "../api/schema/index.ts";
import { decodeK8sProtobuf } from "../api/protobuf/index.ts";
import { ProtobufDecodeError } from "../api/protobuf/wire.ts";
import { openApiV2Protobuf, openApiV3Doc, openApiV3Root, resourceInfoOf, groupVersionOf, type ResourceInfo, type V3Doc } from "../api/openapi/index.ts";
import { crdToResourceDefs } from "../api/resources/apiextensions/crd-resources.ts";
import { decodeShared } from "../api/registry/codec.ts";
import { storagePrefix } from "../api/registry/generic.ts";
import type { OpenApiProvider } from "../api/app.ts";
import { KUBE_GIT_VERSION } from "../version.ts";
import { logger } from "../util/log.ts";
import { systemContext } from "./bootstrap.ts";

const log = logger("api-extensions");

function installFieldChecker() {
  setFieldChecker((def, obj, ctx) => {
    const gvk = { group: def.group, version: def.version, kind: def.kind };
    if (def.openAPIV3Schema !== undefined) {
      const r = checkCustomFields(obj, { ...gvk, schema: def.openAPIV3Schema }, { mode: ctx.fieldValidation });
      ctx.warnings.push(...r.warnings);
      return r.object as Obj;
    }
    if (!schemaNameFor(gvk.group, gvk.version, gvk.kind)) return obj;
    const r = checkBuiltinFields(obj, gvk, { mode: ctx.fieldValidation });
    ctx.warnings.push(...r.warnings);
    return r.object as Obj;
  });
}

function installProtobuf() {
  setProtobufDecoder((bytes) => {
    try {
      return decodeK8sProtobuf(bytes).object;
    } catch (e) {
      if (e instanceof ProtobufDecodeError) {
        if (e.code === "UnknownKind") throw new ApiError(415, "UnsupportedMediaType", e.message);
        throw errors.badRequest(`the body of the request was in an unknown format: ${e.message}`);
      }
      throw e;
    }
  });
}

/** OpenAPI documents derived from the catalog, rebuilt lazily when it changes. */
class CatalogOpenApi implements OpenApiProvider {
  private gen = -1;
  private docs = new Map<string, V3Doc>();
  private v2cache?: { bytes: Uint8Array; hash: string };

  constructor(private readonly catalog: Catalog) {}

  private infos(): ResourceInfo[] {
    // A kind without any schema is left out rather than breaking every document.
    return this.catalog
      .all()
      .filter((e) => e.def.openAPIV3Schema !== undefined || schemaNameFor(e.def.group, e.def.version, e.def.kind))
      .map((e) => resourceInfoOf(e.def as Parameters<typeof resourceInfoOf>[0], e.def.openAPIV3Schema as never));
  }

  private refresh() {
    if (this.gen === this.catalog.generation()) return;
    this.gen = this.catalog.generation();
    this.docs.clear();
    this.v2cache = undefined;
    const byGv = new Map<string, ResourceInfo[]>();
    for (const r of this.infos()) {
      const gv = groupVersionOf(r.group, r.version);
      let l = byGv.get(gv);
      if (!l) byGv.set(gv, (l = []));
      l.push(r);
    }
    for (const [gv, list] of byGv) {
      try {
        const d = openApiV3Doc(gv, list, { version: KUBE_GIT_VERSION });
        this.docs.set(d.path, d);
      } catch (e) {
        log.warn("OpenAPI document failed", { groupVersion: gv, error: e as Error });
      }
    }
  }

  v2() {
    this.refresh();
    this.v2cache ??= openApiV2Protobuf(this.infos());
    return this.v2cache;
  }
  v3Root() {
    this.refresh();
    return openApiV3Root([...this.docs.values()].map((d) => ({ groupVersion: d.groupVersion, hash: d.hash })));
  }
  v3Doc(path: string) {
    this.refresh();
    return this.docs.get(path) ?? null;
  }
}

const CRD_PREFIX = storagePrefix({ group: "apiextensions.k8s.io", plural: "customresourcedefinitions" });

/** Keeps the catalog's custom resources in step with the CRDs in the store. */
class CrdRegistrar {
  private served = new Map<string, ResourceDef[]>();
  private stopped = false;
  private watcher?: { cancel(): void };

  constructor(
    private readonly catalog: Catalog,
    private readonly store: Store,
  ) {}

  async start() {
    const res = await this.store.list(CRD_PREFIX);
    for (const kv of res.kvs) this.apply(decodeShared(kv));
    void this.loop(res.revision);
  }

  private async loop(after: number) {
    while (!this.stopped) {
      const w = this.store.watch(CRD_PREFIX, { afterRevision: after });
      this.watcher = w;
      try {
        for (;;) {
          const b = await w.next();
          if (b === null) return;
          if (b.kind === "progress") {
            after = b.revision;
            continue;
          }
          for (const ev of b.events) {
            after = ev.kv.modRevision;
            if (ev.type === "delete") this.remove(decodeShared(ev.prevKv).metadata.name);
            else this.apply(decodeShared(ev.kv));
          }
        }
      } catch (e) {
        if (this.stopped) return;
        log.warn("CRD watch restarted", { error: e as Error });
        const res = await this.store.list(CRD_PREFIX).catch(() => null);
        if (res) {
          const names = new Set<string>();
          for (const kv of res.kvs) {
            const crd = decodeShared(kv);
            names.add(crd.metadata.name);
            this.apply(crd);
          }
          for (const n of [...this.served.keys()]) if (!names.has(n)) this.remove(n);
          after = res.revision;
        }
        await Bun.sleep(200);
      }
    }
  }

  private apply(crd: Obj) {
    const name = crd.metadata?.name as string;
    this.remove(name, false);
    if (crd.metadata?.deletionTimestamp) return;
    let defs: ResourceDef[];
    try {
      defs = crdToResourceDefs(crd);
    } catch (e) {
      log.warn("cannot serve CRD", { crd: name, error: e as Error });
      return;
    }
    const versions = (crd.spec?.versions ?? []) as Obj[];
    for (const d of defs) {
      const v = versions.find((x) => x.name === d.version);
      const schema = v?.schema?.openAPIV3Schema;
      if (schema) d.openAPIV3Schema = schema;
      this.catalog.add(d);
    }
    this.served.set(name, defs);
    void this.markEstablished(crd);
  }

  private remove(name: string, log_ = true) {
    const defs = this.served.get(name);
    if (!defs) return;
    for (const d of defs) this.catalog.remove(d.group, d.version, d.plural);
    this.served.delete(name);
    if (log_) log.info("stopped serving CRD", { crd: name });
  }

  /** Status conditions NamesAccepted and Established, like apiextensions-apiserver. */
  private async markEstablished(crd: Obj) {
    const conds = (crd.status?.conditions ?? []) as Obj[];
    if (conds.some((c) => c.type === "Established" && c.status === "True")) return;
    const entry = this.catalog.lookupResource("apiextensions.k8s.io", "customresourcedefinitions");
    if (!entry) return;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
    const status = {
      ...(crd.status ?? {}),
      acceptedNames: crd.spec?.names ?? {},
      storedVersions: ((crd.spec?.versions ?? []) as Obj[]).filter((v) => v.storage).map((v) => v.name),
      conditions: [
        { type: "NamesAccepted", status: "True", lastTransitionTime: now, reason: "NoConflicts", message: "no conflicts found" },
        { type: "Established", status: "True", lastTransitionTime: now, reason: "InitialNamesAccepted", message: "the initial names have been accepted" },
      ],
    };
    try {
      await entry.registry.patch(undefined, crd.metadata.name, "merge", { status }, systemContext(), { subresource: "status" });
    } catch (e) {
      if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) log.warn("cannot set CRD status", { crd: crd.metadata.name, error: e as Error });
    }
  }

  stop() {
    this.stopped = true;
    this.watcher?.cancel();
  }
}

export async function installApiExtensions(catalog: Catalog, store: Store) {
  installFieldChecker();
  installProtobuf();
  const crds = new CrdRegistrar(catalog, store);
  await crds.start();
  return {
    openapi: new CatalogOpenApi(catalog) as OpenApiProvider,
    stop: () => crds.stop(),
  };
}
