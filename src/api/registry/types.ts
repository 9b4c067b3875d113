/**
 * @module api/registry/types
 * The declarative description of a served kind. Like Kubernetes' generic registry, one
 * generic REST implementation (registry/generic.ts) serves every resource; a kind only
 * says what differs: defaults, validation, table columns, selectable fields, status and
 * scale subresources, and a few lifecycle hooks.
 */
import type { StatusCause } from "../errors.ts";

// deno-lint-ignore no-explicit-any
export type Obj = Record<string, any>;

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export interface OpContext {
  user: UserInfo;
  /** Wall-clock time of the request, stamped once (creationTimestamp, deletionTimestamp, managedFields). */
  now: Date;
  dryRun: boolean;
  fieldManager?: string;
  fieldValidation: "Strict" | "Warn" | "Ignore";
  /** Warnings to send back as `Warning: 299 - "..."` headers. */
  warnings: string[];
}

export interface ColumnDef {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  format?: string;
  description?: string;
  priority?: number;
}

export interface ScaleSpec {
  /** JSON paths (dot form) into the object. */
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
  /** Computes Scale status.selector when the object does not store it (Deployments: from spec.selector). */
  selector?(obj: Obj): string | undefined;
}

/** A non-generic subresource (log, exec, binding, eviction, token, ...): the kind supplies a handler. */
export interface SubresourceHandler {
  /** Verbs shown in discovery, e.g. ["create"] or ["get"]. */
  verbs: string[];
  /** Response kind in discovery (group/version/kind). */
  responseKind?: { group: string; version: string; kind: string };
  handle(req: SubresourceRequest): Promise<Response>;
}

export interface SubresourceRequest {
  request: Request;
  method: string;
  namespace?: string;
  name: string;
  ctx: OpContext;
  url: URL;
  /** The decoded request body (JSON), when any. */
  body?: Obj;
  /** Upgrade hook for WebSocket subresources (exec/attach/portforward). */
  upgrade?: (data: unknown, protocols: string[]) => Response | undefined;
}

export interface ResourceDef {
  group: string;
  version: string;
  kind: string;
  /** Defaults to `${kind}List`. */
  listKind?: string;
  plural: string;
  singular: string;
  shortNames?: string[];
  categories?: string[];
  namespaced: boolean;
  /** Verbs served; default: every verb. Virtual resources (reviews) serve only "create". */
  verbs?: string[];
  /** Not persisted: create computes and returns a response (SelfSubjectAccessReview...). */
  virtual?: (obj: Obj, ctx: OpContext, namespace?: string) => Promise<Obj>;
  /** The kind has a `status` subresource: main-resource writes keep the old status, status writes keep the old spec. */
  statusSubresource?: boolean;
  scale?: ScaleSpec;
  subresources?: Record<string, SubresourceHandler>;
  /** Objects expire this many seconds after their last write (Events: 1 h). */
  ttlSeconds?: number;
  /** PUT of a missing object creates it (Endpoints, Leases, custom resources...). */
  allowCreateOnUpdate?: boolean;
  /** Bump metadata.generation on changes to anything but metadata and status (default true when statusSubresource). */
  generation?: boolean;
  /** Validates metadata.name (default: DNS-1123 subdomain). */
  nameValidator?: (name: string) => string[];
  /** Fill in defaults, like Kubernetes' SetDefaults_* (mutates). Runs on create and update. */
  defaults?(obj: Obj): void;
  /** Called on create after defaults: reset status, fill server-side fields (mutates). */
  prepareForCreate?(obj: Obj, ctx: OpContext, registry: RegistryAccess): Promise<void> | void;
  /** Called on update of the main resource, before validation (mutates `obj`). */
  prepareForUpdate?(obj: Obj, old: Obj, ctx: OpContext, registry?: RegistryAccess): void | Promise<void>;
  /**
   * Metadata fields a status write may change besides status (Deployments: annotations, where
   * the controller records the revision; upstream's status strategies allow this per kind).
   * Everything else in a status write but status is ignored.
   */
  statusWritesMetadata?: string[];
  /** Deployments: annotation changes also bump metadata.generation (upstream's rollback annotation). */
  generationIncludesAnnotations?: boolean;
  /**
   * Deletion that must wait on more than metadata.finalizers (Namespaces: spec.finalizers).
   * `beforeDelete` marks the object (e.g. phase Terminating); `deletionPending` keeps it stored.
   */
  beforeDelete?(obj: Obj): void;
  /** A reason the object may not be deleted at all (403 Forbidden), or undefined. */
  undeletable?(obj: Obj): string | undefined;
  /** Serve PUT .../finalize, which changes only spec.finalizers (Namespaces). */
  finalizeSubresource?: boolean;
  deletionPending?(obj: Obj): boolean;
  /** Field-level validation; return causes with Kubernetes' field paths. */
  validate?(obj: Obj, ctx: OpContext): StatusCause[];
  /** Extra update validation (immutable fields...). */
  validateUpdate?(obj: Obj, old: Obj, ctx: OpContext): StatusCause[];
  /** Table columns (kubectl get) and the cells for one object. */
  columns?: ColumnDef[];
  cells?(obj: Obj, now: number): unknown[];
  /** Values of the field selectors this kind supports beyond metadata.name/namespace. */
  selectableFields?(obj: Obj): Record<string, string | undefined>;
  /** Pods: deletion sets deletionTimestamp and waits for the node to confirm (grace period). */
  gracefulDelete?(obj: Obj, gracePeriodSeconds: number | undefined): { graceful: boolean; grace: number };
  /** Hooks that let other components react in-process (CRD registration...). */
  afterWrite?(event: "create" | "update" | "delete", obj: Obj): void;
  /** Custom resources: the CRD version's openAPIV3Schema (field validation and OpenAPI). */
  openAPIV3Schema?: Obj;
}

/** What a kind's hooks may use from the registry (kept small on purpose). */
export interface RegistryAccess {
  list(group: string, plural: string, namespace?: string): Promise<Obj[]>;
  get(group: string, plural: string, namespace: string | undefined, name: string): Promise<Obj | null>;
  /** Namespace lifecycle for admission of namespaced creates (cached by the catalog). */
  namespaceState?(name: string): Promise<"active" | "terminating" | "missing">;
  /** Every successful write, for the catalog's caches. */
  observeWrite?(def: ResourceDef, event: "create" | "update" | "delete", obj: Obj): void;
}

export function gvk(def: ResourceDef) {
  return { group: def.group, version: def.version, kind: def.kind };
}
export function apiVersionOf(def: { group: string; version: string }) {
  return def.group ? `${def.group}/${def.version}` : def.version;
}
