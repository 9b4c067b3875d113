/**
 * @module api/registry/catalog
 * The set of served resources, indexed by group/version/resource. Built-in kinds are
 * registered at start; CustomResourceDefinitions add and remove entries at run time.
 * Discovery and OpenAPI are derived from it and invalidated on change.
 */
import type { Store } from "../../store/types.ts";
import { GenericRegistry } from "./generic.ts";
import type { Obj, RegistryAccess, ResourceDef } from "./types.ts";
import { decodeShared } from "./codec.ts";
import { storagePrefix } from "./generic.ts";
import { NamespaceCache, type NamespaceState } from "./namespace-cache.ts";

export interface CatalogEntry {
  def: ResourceDef;
  registry: GenericRegistry;
}

/** Preferred order of groups in discovery (core first, like upstream). */
const GROUP_ORDER = [
  "",
  "apiregistration.k8s.io",
  "apps",
  "events.k8s.io",
  "authentication.k8s.io",
  "authorization.k8s.io",
  "autoscaling",
  "batch",
  "certificates.k8s.io",
  "networking.k8s.io",
  "policy",
  "rbac.authorization.k8s.io",
  "storage.k8s.io",
  "admissionregistration.k8s.io",
  "apiextensions.k8s.io",
  "scheduling.k8s.io",
  "coordination.k8s.io",
  "node.k8s.io",
  "discovery.k8s.io",
  "flowcontrol.apiserver.k8s.io",
  "metrics.k8s.io",
];

export class Catalog implements RegistryAccess {
  private entries = new Map<string, CatalogEntry>();
  private listeners: (() => void)[] = [];
  private gen = 0;

  /** Namespace lifecycle state for namespaced creates (list + watch, started on first use). */
  readonly namespaces: NamespaceCache;

  constructor(readonly store: Store) {
    this.namespaces = new NamespaceCache(store);
  }

  namespaceState(name: string): Promise<NamespaceState> {
    return this.namespaces.state(name);
  }

  observeWrite(def: ResourceDef, event: "create" | "update" | "delete", obj: Obj) {
    if (def.group === "" && def.plural === "namespaces") this.namespaces.observe(obj, event === "delete");
  }

  static key(group: string, version: string, resource: string) {
    return `${group}/${version}/${resource}`;
  }

  add(def: ResourceDef): CatalogEntry {
    const entry: CatalogEntry = { def, registry: new GenericRegistry(def, this.store, this) };
    this.entries.set(Catalog.key(def.group, def.version, def.plural), entry);
    this.changed();
    return entry;
  }

  remove(group: string, version: string, plural: string) {
    if (this.entries.delete(Catalog.key(group, version, plural))) this.changed();
  }

  lookup(group: string, version: string, resource: string): CatalogEntry | undefined {
    return this.entries.get(Catalog.key(group, version, resource));
  }

  /** Find a served resource by plural in any version of a group (preferred version first). */
  lookupResource(group: string, resource: string): CatalogEntry | undefined {
    for (const e of this.entries.values()) if (e.def.group === group && e.def.plural === resource) return e;
    return undefined;
  }

  byKind(group: string, kind: string): CatalogEntry | undefined {
    for (const e of this.entries.values()) if (e.def.group === group && e.def.kind === kind) return e;
    return undefined;
  }

  all(): CatalogEntry[] {
    return [...this.entries.values()];
  }

  /** Groups with their versions and resources, in discovery order. */
  groups(): { group: string; versions: { version: string; entries: CatalogEntry[] }[] }[] {
    const byGroup = new Map<string, Map<string, CatalogEntry[]>>();
    for (const e of this.entries.values()) {
      let g = byGroup.get(e.def.group);
      if (!g) byGroup.set(e.def.group, (g = new Map()));
      let v = g.get(e.def.version);
      if (!v) g.set(e.def.version, (v = []));
      v.push(e);
    }
    const rank = (g: string) => {
      const i = GROUP_ORDER.indexOf(g);
      return i < 0 ? GROUP_ORDER.length : i;
    };
    return [...byGroup.entries()]
      .sort((a, b) => rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0]))
      .map(([group, versions]) => ({
        group,
        versions: [...versions.entries()]
          .sort((a, b) => compareVersions(b[0], a[0]))
          .map(([version, entries]) => ({ version, entries: entries.sort((a, b) => a.def.plural.localeCompare(b.def.plural)) })),
      }));
  }

  /** Increases on every change; caches of discovery/OpenAPI key on it. */
  generation() {
    return this.gen;
  }

  onChange(fn: () => void) {
    this.listeners.push(fn);
  }

  private changed() {
    this.gen++;
    for (const l of this.listeners) l();
  }

  // RegistryAccess: lets kind hooks read other kinds.
  async list(group: string, plural: string, namespace?: string): Promise<Obj[]> {
    const prefix = storagePrefix({ group, plural }) + (namespace ? `${namespace}/` : "");
    const res = await this.store.list(prefix);
    return res.kvs.map((kv) => decodeShared(kv));
  }

  async get(group: string, plural: string, namespace: string | undefined, name: string): Promise<Obj | null> {
    const e = this.lookupResource(group, plural);
    const key = e ? e.registry.key(namespace, name) : storagePrefix({ group, plural }) + (namespace ? `${namespace}/` : "") + name;
    const res = await this.store.get(key);
    return res.kv ? decodeShared(res.kv) : null;
  }
}

/** Kubernetes version priority: GA > beta > alpha, then by number (v1 > v1beta2 > v1beta1 > v1alpha1). */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0];
    const stage = m[2] === undefined ? 3 : m[2] === "beta" ? 2 : 1;
    return [stage, Number(m[1]), Number(m[3] ?? 0)];
  };
  const pa = parse(a);
  const pb = parse(b);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
  return a.localeCompare(b);
}
