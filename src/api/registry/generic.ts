/**
 * @module api/registry/generic
 * The one generic REST storage that serves every kind (like k8s.io/apiserver's
 * genericregistry.Store): create, get, list, update, patch, delete, deletecollection and
 * watch over the state store, with Kubernetes' object-meta semantics (uid, generation,
 * resourceVersion preconditions, generateName, finalizers, graceful deletion, dryRun).
 * Kinds only contribute their declarative ResourceDef.
 */
import type { Store } from "../../store/types.ts";
import { CompactedError, FutureRevisionError, StoreError } from "../../store/types.ts";
import { ApiError, errors, field, type StatusCause } from "../errors.ts";
import { validateObjectMeta, isDNS1123Subdomain } from "../validation/meta.ts";
import type { OpContext, Obj, RegistryAccess, ResourceDef } from "./types.ts";
import { apiVersionOf } from "./types.ts";
import { decodeAt, decodeMutable, decodeShared, encodeObject } from "./codec.ts";
import { clone, deepEqual, getPath, randomSuffix, rfc3339, setPath, specPart } from "./objects.ts";
import { compileSelection, type Selection } from "./selection.ts";
import { applyPatch, trackManagedFields, type PatchType } from "./patching.ts";
import { checkFields } from "./fields.ts";
import { startWatch, type ApiWatch } from "./watch.ts";

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface WatchOptions extends ListOptions {
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  sendInitialEvents?: boolean;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: "Orphan" | "Background" | "Foreground";
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  /** DeleteOptions.dryRun (["All"]); kubectl sends it in the body, not the query. */
  dryRun?: string[];
}

export interface ListResult {
  /** Decoded objects shared with the store's decode cache (and watchers): read them, never mutate. */
  items: Obj[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export type { WatchEventType, ApiWatchEvent, ApiWatch } from "./watch.ts";

const MAX_CAS_RETRIES = 20;

/** Continue tokens: base64 of {rv, start} as Kubernetes' (opaque to clients). */
function encodeContinue(rv: number, lastKey: string) {
  return Buffer.from(JSON.stringify({ v: "meta.k8s.io/v1", rv, start: lastKey })).toString("base64url");
}
function decodeContinue(token: string): { rv: number; start: string } {
  try {
    const o = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (typeof o.rv !== "number" || typeof o.start !== "string") throw new Error("bad");
    return { rv: o.rv, start: o.start };
  } catch {
    throw errors.badRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
  }
}

export function storagePrefix(def: Pick<ResourceDef, "group" | "plural">) {
  return `/registry/${def.group ? def.group + "/" : ""}${def.plural}/`;
}

export class GenericRegistry {
  readonly prefix: string;
  readonly qualified: string;

  constructor(
    readonly def: ResourceDef,
    readonly store: Store,
    private readonly access: RegistryAccess,
  ) {
    this.prefix = storagePrefix(def);
    this.qualified = def.group ? `${def.plural}.${def.group}` : def.plural;
  }

  // ---- keys -------------------------------------------------------------------------

  key(namespace: string | undefined, name: string) {
    return this.def.namespaced ? `${this.prefix}${namespace}/${name}` : `${this.prefix}${name}`;
  }
  listPrefix(namespace?: string) {
    return this.def.namespaced && namespace ? `${this.prefix}${namespace}/` : this.prefix;
  }

  private lease?: { id: number; until: number };
  /** A lease for objects with a TTL, reused for a minute so each write does not grant one (like upstream's lease reuse). */
  private async leaseFor(): Promise<number | undefined> {
    const ttl = this.def.ttlSeconds;
    if (!ttl) return undefined;
    const now = Date.now();
    if (this.lease && this.lease.until > now) return this.lease.id;
    const l = await this.storeCall(() => this.store.leaseGrant(ttl + 60));
    this.lease = { id: l.id, until: now + 60_000 };
    return l.id;
  }

  private notFound(name: string) {
    return errors.notFound(this.def.plural, this.def.group, name);
  }

  // ---- reads ------------------------------------------------------------------------

  async get(namespace: string | undefined, name: string, resourceVersion?: string): Promise<Obj> {
    const rev = resourceVersion && resourceVersion !== "0" ? parseRv(resourceVersion) : undefined;
    const res = await this.storeCall(() => this.store.get(this.key(namespace, name), rev ? { revision: rev } : undefined));
    if (!res.kv) throw this.notFound(name);
    return decodeMutable(res.kv);
  }

  async list(namespace: string | undefined, opts: ListOptions = {}): Promise<ListResult> {
    const sel = this.selection(opts);
    let revision: number | undefined;
    let startAfter: string | undefined;
    if (opts.continue) {
      const c = decodeContinue(opts.continue);
      revision = c.rv;
      startAfter = c.start;
    } else if (opts.resourceVersion && opts.resourceVersion !== "0" && opts.resourceVersionMatch === "Exact") {
      revision = parseRv(opts.resourceVersion);
    } else if (opts.resourceVersion && opts.resourceVersion !== "0") {
      const want = parseRv(opts.resourceVersion);
      const cur = await this.store.currentRevision();
      if (want > cur) throw errors.timeout(`Too large resource version: ${want}, current: ${cur}`);
    }
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const prefix = this.listPrefix(namespace);
    const items: Obj[] = [];
    let atRev = revision;
    let more = false;
    let lastKey: string | undefined;
    // Fetch in chunks until `limit` matching items are found (selectors filter after the range).
    for (;;) {
      const chunk = limit ? Math.max(limit - items.length, 50) : 0;
      let res;
      try {
        res = await this.store.list(prefix, { revision: atRev, limit: chunk, startAfter });
      } catch (e) {
        if (e instanceof CompactedError && opts.continue) {
          throw new ApiError(
            410,
            "Expired",
            "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue value from the response to start a new list",
          );
        }
        throw this.mapStoreError(e);
      }
      atRev = res.revision;
      for (const kv of res.kvs) {
        lastKey = kv.key;
        const o = decodeShared(kv);
        if (!sel.matches(o)) continue;
        items.push(o); // shared decoded object (see ListResult): not copied
        if (limit && items.length >= limit) break;
      }
      const consumedAll = !limit || lastKey === res.kvs[res.kvs.length - 1]?.key;
      if (limit && items.length >= limit) {
        more = res.more || !consumedAll;
        break;
      }
      if (!res.more) break;
      startAfter = lastKey;
    }
    const out: ListResult = { items, resourceVersion: String(atRev ?? (await this.store.currentRevision())) };
    if (more && lastKey !== undefined) {
      out.continue = encodeContinue(atRev!, lastKey);
    }
    return out;
  }

  selection(opts: { labelSelector?: string; fieldSelector?: string }): Selection {
    return compileSelection(this.def, opts.labelSelector, opts.fieldSelector);
  }

  // ---- create -----------------------------------------------------------------------

  async create(namespace: string | undefined, body: Obj, ctx: OpContext): Promise<Obj> {
    if (this.def.virtual) return this.def.virtual(this.checkTypeMeta(body), ctx, namespace);
    const obj = checkFields(this.def, this.checkTypeMeta(body), ctx);
    const meta = (obj.metadata ??= {});
    this.checkNamespace(namespace, meta);
    if (this.def.namespaced) await this.checkNamespaceActive(namespace!, meta.name ?? meta.generateName);
    // Server-managed metadata is never taken from the client on create.
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.selfLink;
    meta.uid = crypto.randomUUID();
    meta.creationTimestamp = rfc3339(ctx.now);
    if (this.def.generation) meta.generation = 1;
    else delete meta.generation;
    // Like upstream's BeforeCreate: the name is generated before the kind's hooks run.
    const generated = !meta.name && meta.generateName;
    if (generated) meta.name = `${meta.generateName}${randomSuffix()}`;
    this.def.defaults?.(obj);
    await this.def.prepareForCreate?.(obj, ctx, this.access);
    delete meta.managedFields;
    const managed = trackManagedFields(this.def, undefined, obj, ctx.fieldManager ?? "unknown", ctx.now).metadata?.managedFields;
    if (managed) meta.managedFields = managed;
    for (let attempt = 0; ; attempt++) {
      if (generated && attempt > 0) meta.name = `${meta.generateName}${randomSuffix()}`;
      this.validate(obj, ctx);
      if (ctx.dryRun) {
        const existing = await this.store.get(this.key(namespace, meta.name));
        if (existing.kv) throw errors.alreadyExists(this.def.plural, this.def.group, meta.name);
        return obj;
      }
      const lease = await this.leaseFor();
      const res = await this.storeCall(() => this.store.create(this.key(namespace, meta.name), encodeObject(obj), lease ? { lease } : undefined));
      if (res.succeeded) {
        meta.resourceVersion = String(res.revision);
        this.wrote("create", obj);
        return obj;
      }
      if (!generated || attempt >= 5) throw errors.alreadyExists(this.def.plural, this.def.group, meta.name);
    }
  }

  // ---- update / patch ---------------------------------------------------------------

  /**
   * PUT. `subresource` is "status" for the status subresource. The body's resourceVersion,
   * when present, must match (409 Conflict otherwise).
   */
  async update(namespace: string | undefined, name: string, body: Obj, ctx: OpContext, subresource?: "status" | "finalize"): Promise<{ obj: Obj; created: boolean }> {
    const obj = checkFields(this.def, this.checkTypeMeta(body), ctx);
    const meta = (obj.metadata ??= {});
    if (meta.name !== undefined && meta.name !== name) throw errors.badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
    meta.name = name;
    this.checkNamespace(namespace, meta);
    const wantRv = meta.resourceVersion ? parseRvForUpdate(meta.resourceVersion) : undefined;
    return this.guaranteedUpdate(namespace, name, ctx, async (current) => {
      if (!current) {
        if (subresource || !this.def.allowCreateOnUpdate) throw this.notFound(name);
        return { create: true, obj: clone(obj) };
      }
      if (wantRv !== undefined && String(wantRv) !== current.metadata.resourceVersion) throw errors.conflict(this.def.plural, this.def.group, name);
      return { obj: clone(obj) };
    }, subresource);
  }

  async patch(
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    ctx: OpContext,
    opts: { subresource?: "status"; force?: boolean } = {},
  ): Promise<{ obj: Obj; created: boolean }> {
    return this.guaranteedUpdate(namespace, name, ctx, async (current) => {
      if (!current) {
        if (type !== "apply" || opts.subresource) throw this.notFound(name);
        const created = applyPatch(this.def, undefined, type, patch, { manager: ctx.fieldManager ?? "", force: opts.force ?? false, now: ctx.now, subresource: opts.subresource });
        const cm = (created.metadata ??= {});
        if (cm.name !== undefined && cm.name !== name) throw errors.badRequest(`the name of the object (${cm.name}) does not match the name on the URL (${name})`);
        cm.name = name;
        this.checkNamespace(namespace, cm);
        return { create: true, obj: created };
      }
      const before = current.metadata.resourceVersion;
      const patched = applyPatch(this.def, current, type, patch, { manager: ctx.fieldManager ?? "", force: opts.force ?? false, now: ctx.now, subresource: opts.subresource });
      const pm = (patched.metadata ??= {});
      if (pm.name !== name) throw errors.badRequest(`metadata.name: Invalid value: "${pm.name}": field is immutable`);
      if (this.def.namespaced && pm.namespace !== namespace) throw errors.badRequest(`metadata.namespace: Invalid value: "${pm.namespace}": field is immutable`);
      if (pm.resourceVersion && pm.resourceVersion !== before) throw errors.conflict(this.def.plural, this.def.group, name);
      return { obj: checkFields(this.def, patched, ctx) };
    }, opts.subresource, type === "apply");
  }

  /**
   * Read-modify-write with compare-and-swap, retried on store conflicts (the equivalent of
   * GuaranteedUpdate). `tryUpdate` returns the desired object; metadata the client may not
   * change is restored from the current object here.
   */
  private async guaranteedUpdate(
    namespace: string | undefined,
    name: string,
    ctx: OpContext,
    tryUpdate: (current: Obj | null) => Promise<{ obj: Obj; create?: boolean }>,
    subresource?: "status" | "finalize",
    applied = false,
  ): Promise<{ obj: Obj; created: boolean }> {
    const key = this.key(namespace, name);
    for (let attempt = 0; attempt < MAX_CAS_RETRIES; attempt++) {
      const cur = await this.storeCall(() => this.store.get(key));
      const current = cur.kv ? decodeMutable(cur.kv) : null;
      const { obj, create } = await tryUpdate(current ? clone(current) : null);
      if (create || !current) {
        if (this.def.namespaced) await this.checkNamespaceActive(namespace!, name);
        const m = (obj.metadata ??= {});
        delete m.resourceVersion;
        m.uid = crypto.randomUUID();
        m.creationTimestamp = rfc3339(ctx.now);
        if (this.def.generation) m.generation = 1;
        this.def.defaults?.(obj);
        await this.def.prepareForCreate?.(obj, ctx, this.access);
        if (!applied) {
          delete m.managedFields;
          const managed = trackManagedFields(this.def, undefined, obj, ctx.fieldManager ?? "unknown", ctx.now).metadata?.managedFields;
          if (managed) m.managedFields = managed;
        }
        this.validate(obj, ctx);
        if (ctx.dryRun) return { obj, created: true };
        const lease = await this.leaseFor();
        const res = await this.storeCall(() => this.store.create(key, encodeObject(obj), lease ? { lease } : undefined));
        if (!res.succeeded) continue;
        obj.metadata.resourceVersion = String(res.revision);
        this.wrote("create", obj);
        return { obj, created: true };
      }
      let next = await this.mergeUpdate(obj, current, ctx, subresource);
      if (!applied) next = trackManagedFields(this.def, current, next, ctx.fieldManager ?? "unknown", ctx.now, subresource === "finalize" ? undefined : subresource);
      if (deepEqual(next, current)) return { obj: current, created: false }; // no-op: no new revision, like Kubernetes
      // Finalizers all gone on an object being deleted: the update completes the deletion.
      if (next.metadata.deletionTimestamp && !(next.metadata.finalizers?.length) && !this.waitingForGrace(next) && !this.def.deletionPending?.(next)) {
        if (ctx.dryRun) return { obj: next, created: false };
        const del = await this.storeCall(() => this.store.delete(key, cur.kv!.modRevision));
        if (!del.succeeded) continue;
        next.metadata.resourceVersion = String(del.revision);
        this.wrote("delete", next);
        return { obj: next, created: false };
      }
      if (ctx.dryRun) return { obj: next, created: false };
      const lease = this.def.ttlSeconds ? await this.leaseFor() : cur.kv!.lease || undefined;
      const res = await this.storeCall(() => this.store.update(key, encodeObject(next), cur.kv!.modRevision, lease ? { lease } : undefined));
      if (!res.succeeded) continue;
      next.metadata.resourceVersion = String(res.revision);
      this.wrote("update", next);
      return { obj: next, created: false };
    }
    throw errors.conflict(this.def.plural, this.def.group, name, "too many concurrent updates; please retry");
  }

  private waitingForGrace(o: Obj): boolean {
    // A pod on a node stays until its node confirms the containers are gone.
    return this.def.gracefulDelete !== undefined && Boolean(o.spec?.nodeName) && (o.metadata.deletionGracePeriodSeconds ?? 0) > 0;
  }

  /** Combine the client's desired object with the current one per Kubernetes' update rules. */
  private async mergeUpdate(desired: Obj, current: Obj, ctx: OpContext, subresource?: "status" | "finalize"): Promise<Obj> {
    let next: Obj;
    if (subresource === "finalize") {
      next = clone(current);
      next.spec = { ...(next.spec ?? {}), finalizers: desired.spec?.finalizers ?? [] };
    } else if (subresource === "status") {
      // Status writes change status, plus the metadata fields the kind lets them change (a
      // Deployment's revision annotation, as upstream's deployment status strategy allows).
      next = clone(current);
      next.status = desired.status;
      if (desired.metadata?.managedFields) next.metadata.managedFields = desired.metadata.managedFields;
      // Like upstream's status strategies, a status write may also carry annotations
      // (the Deployment controller records deployment.kubernetes.io/revision this way).
      if (desired.metadata?.annotations !== undefined) next.metadata.annotations = desired.metadata.annotations;
      for (const f of this.def.statusWritesMetadata ?? []) {
        const v = isPlainObject(desired.metadata) ? desired.metadata[f] : undefined;
        if (v === undefined || v === null) delete next.metadata[f];
        else next.metadata[f] = v;
      }
    } else {
      next = desired;
      if (this.def.statusSubresource) {
        if (current.status === undefined) delete next.status;
        else next.status = current.status;
      }
    }
    const m = (next.metadata ??= {});
    const cm = current.metadata;
    if (m.uid && m.uid !== cm.uid) {
      throw errors.conflict(this.def.plural, this.def.group, cm.name, `Precondition failed: UID in precondition: ${m.uid}, UID in object meta: ${cm.uid}`);
    }
    m.uid = cm.uid;
    m.name = cm.name;
    if (this.def.namespaced) m.namespace = cm.namespace;
    m.creationTimestamp = cm.creationTimestamp;
    if (cm.deletionTimestamp) {
      m.deletionTimestamp = cm.deletionTimestamp;
      if (cm.deletionGracePeriodSeconds !== undefined) m.deletionGracePeriodSeconds = cm.deletionGracePeriodSeconds;
    } else {
      delete m.deletionTimestamp;
      delete m.deletionGracePeriodSeconds;
    }
    // Finalizers may not be added once deletion started.
    if (cm.deletionTimestamp && m.finalizers) {
      const old = new Set<string>(cm.finalizers ?? []);
      const added = (m.finalizers as string[]).filter((f) => !old.has(f));
      if (added.length) throw errors.invalid(this.def.kind, this.def.group, cm.name, [field.forbidden("metadata.finalizers", `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`)]);
    }
    m.resourceVersion = cm.resourceVersion;
    delete m.selfLink;
    if (subresource === undefined) {
      this.def.defaults?.(next);
      await this.def.prepareForUpdate?.(next, current, ctx, this.access);
    }
    if (this.def.generation && subresource !== undefined) m.generation = cm.generation ?? 1;
    else if (this.def.generation) {
      const gen = cm.generation ?? 1;
      const same = deepEqual(specPart(next), specPart(current)) && (!this.def.generationIncludesAnnotations || deepEqual(m.annotations ?? {}, cm.annotations ?? {}));
      m.generation = same ? gen : gen + 1;
    } else delete m.generation;
    if (m.managedFields === undefined && cm.managedFields !== undefined) m.managedFields = cm.managedFields;
    this.validate(next, ctx);
    const causes = this.def.validateUpdate?.(next, current, ctx) ?? [];
    if (causes.length) throw errors.invalid(this.def.kind, this.def.group, cm.name, causes);
    return next;
  }

  /**
   * A system write that bypasses the kind's update rules (immutable fields, status split):
   * `mutate` receives the current object and returns the next one. Used by subresources
   * such as pods/binding that change fields clients may not change directly.
   */
  async systemUpdate(namespace: string | undefined, name: string, ctx: OpContext, mutate: (current: Obj) => Obj): Promise<Obj> {
    const key = this.key(namespace, name);
    for (let attempt = 0; attempt < MAX_CAS_RETRIES; attempt++) {
      const cur = await this.storeCall(() => this.store.get(key));
      if (!cur.kv) throw this.notFound(name);
      const current = decodeMutable(cur.kv);
      const next = mutate(clone(current));
      next.metadata.resourceVersion = current.metadata.resourceVersion;
      if (deepEqual(next, current)) return current;
      this.validate(next, ctx);
      if (ctx.dryRun) return next;
      const res = await this.storeCall(() => this.store.update(key, encodeObject(next), cur.kv!.modRevision, cur.kv!.lease ? { lease: cur.kv!.lease } : undefined));
      if (!res.succeeded) continue;
      next.metadata.resourceVersion = String(res.revision);
      this.wrote("update", next);
      return next;
    }
    throw errors.conflict(this.def.plural, this.def.group, name, "too many concurrent updates; please retry");
  }

  // ---- scale ------------------------------------------------------------------------

  async getScale(namespace: string | undefined, name: string): Promise<Obj> {
    return this.toScale(await this.get(namespace, name));
  }

  toScale(o: Obj): Obj {
    const s = this.def.scale!;
    const selector = s.labelSelectorPath ? getPath(o, s.labelSelectorPath) : s.selector?.(o);
    return {
      kind: "Scale",
      apiVersion: "autoscaling/v1",
      metadata: { name: o.metadata.name, namespace: o.metadata.namespace, uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion, creationTimestamp: o.metadata.creationTimestamp },
      spec: { replicas: (getPath(o, s.specReplicasPath) as number | undefined) ?? 0 },
      status: { replicas: (getPath(o, s.statusReplicasPath) as number | undefined) ?? 0, ...(typeof selector === "string" ? { selector } : {}) },
    };
  }

  /** Apply a Scale write (PUT body or patched Scale) to the parent object. */
  async updateScale(namespace: string | undefined, name: string, scale: Obj, ctx: OpContext): Promise<Obj> {
    const replicas = scale.spec?.replicas;
    if (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 0) {
      throw errors.invalid("Scale", "autoscaling", name, [field.invalid("spec.replicas", replicas, "must be greater than or equal to 0")]);
    }
    const wantRv = scale.metadata?.resourceVersion;
    const { obj } = await this.guaranteedUpdate(namespace, name, ctx, async (current) => {
      if (!current) throw this.notFound(name);
      if (wantRv && wantRv !== current.metadata.resourceVersion) throw errors.conflict(this.def.plural, this.def.group, name);
      setPath(current, this.def.scale!.specReplicasPath, replicas);
      return { obj: current };
    });
    return this.toScale(obj);
  }

  // ---- delete -----------------------------------------------------------------------

  /**
   * DELETE. Returns the object and whether it is gone from the store now (false while
   * finalizers or a pod's grace period run).
   */
  async delete(namespace: string | undefined, name: string, opts: DeleteOptions, ctx: OpContext): Promise<{ obj: Obj; deleted: boolean }> {
    const key = this.key(namespace, name);
    for (let attempt = 0; attempt < MAX_CAS_RETRIES; attempt++) {
      const cur = await this.storeCall(() => this.store.get(key));
      if (!cur.kv) throw this.notFound(name);
      const obj = decodeMutable(cur.kv);
      const refusal = this.def.undeletable?.(obj);
      if (refusal) throw errors.forbidden(`${this.qualified} "${name}" is forbidden: ${refusal}`);
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== obj.metadata.uid) {
        throw errors.conflict(this.def.plural, this.def.group, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${obj.metadata.uid}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== obj.metadata.resourceVersion) {
        throw errors.conflict(this.def.plural, this.def.group, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion}`);
      }
      const m = obj.metadata;
      const finalizers = new Set<string>(m.finalizers ?? []);
      const policy = opts.propagationPolicy ?? (opts.orphanDependents === true ? "Orphan" : opts.orphanDependents === false ? "Background" : undefined);
      let changed = false;
      if (policy === "Orphan" && !finalizers.has("orphan")) {
        finalizers.add("orphan");
        finalizers.delete("foregroundDeletion");
        changed = true;
      } else if (policy === "Foreground" && !finalizers.has("foregroundDeletion")) {
        finalizers.add("foregroundDeletion");
        finalizers.delete("orphan");
        changed = true;
      } else if (policy === "Background" && m.deletionTimestamp && (finalizers.has("orphan") || finalizers.has("foregroundDeletion"))) {
        // An explicit background delete of an object already waiting on GC finalizers keeps them.
      }
      // Graceful deletion (pods bound to a node).
      let grace = 0;
      let graceful = false;
      if (this.def.gracefulDelete) {
        const g = this.def.gracefulDelete(obj, opts.gracePeriodSeconds);
        graceful = g.graceful;
        grace = g.grace;
      }
      if (m.deletionTimestamp) {
        // Already being deleted: a shorter grace period may be set, or force deletion.
        if (graceful && grace < (m.deletionGracePeriodSeconds ?? 0)) {
          m.deletionGracePeriodSeconds = grace;
          m.deletionTimestamp = rfc3339(new Date(ctx.now.getTime() + grace * 1000));
          changed = true;
        }
        if (!changed && !(this.def.gracefulDelete && opts.gracePeriodSeconds === 0) && finalizers.size > 0) return { obj, deleted: false };
      }
      const pendingGrace = graceful && grace > 0;
      const pendingOther = this.def.deletionPending?.(obj) ?? false;
      if (pendingOther && !m.deletionTimestamp) {
        this.def.beforeDelete?.(obj);
        changed = true;
      }
      if (finalizers.size > 0 || pendingGrace || pendingOther) {
        if (!m.deletionTimestamp || changed) {
          if (!m.deletionTimestamp) {
            m.deletionTimestamp = rfc3339(new Date(ctx.now.getTime() + (pendingGrace ? grace : 0) * 1000));
            m.deletionGracePeriodSeconds = pendingGrace ? grace : 0;
          }
          m.finalizers = [...finalizers];
          if (!m.finalizers.length) delete m.finalizers;
          if (ctx.dryRun) return { obj, deleted: false };
          const res = await this.storeCall(() => this.store.update(key, encodeObject(obj), cur.kv!.modRevision, cur.kv!.lease ? { lease: cur.kv!.lease } : undefined));
          if (!res.succeeded) continue;
          m.resourceVersion = String(res.revision);
          this.wrote("update", obj);
          return { obj, deleted: false };
        }
        if (finalizers.size > 0 || pendingOther || !(this.def.gracefulDelete && opts.gracePeriodSeconds === 0)) return { obj, deleted: false };
      }
      if (ctx.dryRun) return { obj, deleted: true };
      const res = await this.storeCall(() => this.store.delete(key, cur.kv!.modRevision));
      if (!res.succeeded) continue;
      m.resourceVersion = String(res.revision);
      this.wrote("delete", obj);
      return { obj, deleted: true };
    }
    throw errors.conflict(this.def.plural, this.def.group, name, "too many concurrent updates; please retry");
  }

  async deleteCollection(namespace: string | undefined, listOpts: ListOptions, opts: DeleteOptions, ctx: OpContext): Promise<Obj[]> {
    const { items } = await this.list(namespace, { labelSelector: listOpts.labelSelector, fieldSelector: listOpts.fieldSelector });
    const out: Obj[] = [];
    for (const it of items) {
      try {
        const r = await this.delete(it.metadata.namespace, it.metadata.name, opts, ctx);
        out.push(r.obj);
      } catch (e) {
        if (e instanceof ApiError && e.code === 404) continue;
        throw e;
      }
    }
    return out;
  }

  // ---- watch ------------------------------------------------------------------------

  /** Start a watch (registry/watch.ts). Throws ApiError(410) for a compacted resourceVersion. */
  watch(namespace: string | undefined, opts: WatchOptions): Promise<ApiWatch> {
    return startWatch(this, namespace, opts);
  }

  // ---- helpers ----------------------------------------------------------------------

  private checkTypeMeta(body: Obj): Obj {
    if (!body || typeof body !== "object" || Array.isArray(body)) throw errors.badRequest("the body of the request must be a JSON object");
    const want = apiVersionOf(this.def);
    const kind = this.def.kind;
    if (body.kind !== undefined && body.kind !== kind) {
      throw errors.badRequest(`${body.kind} in version "${body.apiVersion ?? ""}" cannot be handled as a ${kind}: no kind "${body.kind}" is registered for version "${body.apiVersion ?? ""}" in scheme`);
    }
    if (body.apiVersion !== undefined && body.apiVersion !== want) {
      throw errors.badRequest(`${kind} in version "${body.apiVersion}" cannot be handled as a ${kind}: no kind "${kind}" is registered for version "${body.apiVersion}" in scheme`);
    }
    body.kind = kind;
    body.apiVersion = want;
    return body;
  }

  private checkNamespace(namespace: string | undefined, meta: Obj) {
    if (!this.def.namespaced) {
      delete meta.namespace;
      return;
    }
    if (meta.namespace && meta.namespace !== namespace) {
      throw errors.badRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
    meta.namespace = namespace;
  }

  private async checkNamespaceActive(namespace: string, name?: string) {
    let state: "active" | "terminating" | "missing";
    if (this.access.namespaceState) state = await this.access.namespaceState(namespace);
    else {
      const ns = await this.store.get(`/registry/namespaces/${namespace}`);
      const o = ns.kv ? decodeShared(ns.kv) : undefined;
      state = !o ? "missing" : o.metadata?.deletionTimestamp || o.status?.phase === "Terminating" ? "terminating" : "active";
    }
    if (state === "missing") throw errors.notFound("namespaces", "", namespace);
    if (state === "terminating") {
      throw new ApiError(403, "Forbidden", `${this.qualified} "${name ?? ""}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`, {
        causes: [{ reason: "NamespaceTerminating", message: `namespace ${namespace} is being terminated`, field: "metadata.namespace" }],
      });
    }
  }

  /** After a successful write: the kind's hook, and the catalog's caches (namespace lifecycle). */
  private wrote(event: "create" | "update" | "delete", obj: Obj) {
    this.def.afterWrite?.(event, obj);
    this.access.observeWrite?.(this.def, event, obj);
  }

  validate(obj: Obj, ctx: OpContext) {
    const causes: StatusCause[] = validateObjectMeta(obj.metadata, { namespaced: this.def.namespaced, nameValidator: this.def.nameValidator ?? isDNS1123Subdomain });
    causes.push(...(this.def.validate?.(obj, ctx) ?? []));
    if (causes.length) throw errors.invalid(this.def.kind, this.def.group, obj.metadata?.name ?? obj.metadata?.generateName ?? "", causes);
  }

  async storeCall<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw this.mapStoreError(e);
    }
  }

  mapStoreError(e: unknown): Error {
    if (e instanceof ApiError) return e;
    if (e instanceof CompactedError) return new ApiError(410, "Expired", `too old resource version: ${e.requested} (${e.compactRevision})`);
    if (e instanceof FutureRevisionError) return errors.timeout(`Too large resource version: ${e.requested}, current: ${e.current}`);
    if (e instanceof StoreError) {
      if (e.code === "Unavailable" || e.code === "NotLeader" || e.code === "Closed") return errors.serviceUnavailable(e.message);
      if (e.code === "Timeout") return errors.timeout(e.message);
    }
    return e as Error;
  }
}

function isPlainObject(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parseRv(s: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0) throw errors.badRequest(`invalid resource version "${s}"`);
  return n;
}
function parseRvForUpdate(s: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0) throw errors.badRequest(`metadata.resourceVersion: Invalid value: "${s}": must be a number`);
  return n;
}

