/**
 * @module scheduler/plugins/volume-binding
 * VolumeBinding, like upstream's volume binder: a pod's PVCs must exist; bound claims
 * restrict the pod to nodes matching their PV's nodeAffinity (local volumes); unbound
 * claims of an Immediate class keep the pod pending; unbound claims of a
 * WaitForFirstConsumer class match an available PV on the node (static) or are provisioned
 * there: after the node is chosen the PV's claimRef is set (static) or the PVC gets the
 * `volume.kubernetes.io/selected-node` annotation (dynamic, so a local-path provisioner
 * creates the volume on that node), and the pod is bound only once its claims are bound.
 * Static binds are completed here both ways, since kite has no separate PV binder.
 */
import type { KObj, KubeClient } from "../../client/client.ts";
import { R } from "../../client/resources.ts";
import { SKIP, type BindPlugin, type CycleState, type FilterPlugin } from "../framework.ts";
import { compileNodeSelectorTerm, fromLabelSelector, nodeTermMatches, type Labels } from "../matchers.ts";
import type { NodeInfo } from "../node-info.ts";
import type { PodInfo } from "../pod-info.ts";
import { quantityValue } from "../resources.ts";
import { errorStatus, unresolvable, type Status } from "../status.ts";
import { LabelSelectorError } from "../../api/selectors/labels.ts";

export const NAME = "VolumeBinding";
export const ERR_REASON_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind";
export const ERR_REASON_NODE_CONFLICT = "node(s) had volume node affinity conflict";
export const ERR_REASON_PV_NOT_EXIST = "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)";
export const ERR_UNBOUND_IMMEDIATE = "pod has unbound immediate PersistentVolumeClaims";
export const ANN_SELECTED_NODE = "volume.kubernetes.io/selected-node";
export const ANN_BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller";
export const ANN_BIND_COMPLETED = "pv.kubernetes.io/bind-completed";
const NO_PROVISIONER = "kubernetes.io/no-provisioner";

export interface VolumeListers {
  pvc(namespace: string, name: string): KObj | undefined;
  pv(name: string): KObj | undefined;
  storageClass(name: string): KObj | undefined;
  storageClasses(): Iterable<KObj>;
  pvs(): Iterable<KObj>;
}

const DEFAULT_CLASS_ANNOTATIONS = ["storageclass.kubernetes.io/is-default-class", "storageclass.beta.kubernetes.io/is-default-class"];

/** The default StorageClass (newest first, then by name), as the DefaultStorageClass admission picks it. */
export function defaultStorageClass(classes: Iterable<KObj>): KObj | undefined {
  const defaults = [...classes].filter((c) => DEFAULT_CLASS_ANNOTATIONS.some((a) => c.metadata?.annotations?.[a] === "true"));
  defaults.sort((a, b) => String(b.metadata?.creationTimestamp ?? "").localeCompare(String(a.metadata?.creationTimestamp ?? "")) || String(a.metadata?.name).localeCompare(String(b.metadata?.name)));
  return defaults[0];
}

interface Claims {
  bound: { pvc: KObj; pv: KObj | undefined }[];
  toBind: { pvc: KObj; cls: KObj }[];
}

/** A static PV chosen for a claim, or null: provision. */
type Decision = { pvc: KObj; pv: KObj | null };

const STATE_KEY = "VolumeBinding";
const DECISIONS_KEY = "VolumeBinding/decisions";

function className(pvc: KObj): string {
  return String(pvc.spec?.storageClassName ?? pvc.metadata?.annotations?.["volume.beta.kubernetes.io/storage-class"] ?? "");
}

/** PV nodeAffinity.required against the node (no affinity: any node). */
export function pvMatchesNode(pv: KObj, nodeName: string, labels: Labels): boolean {
  const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms;
  if (!Array.isArray(terms)) return true;
  for (const t of terms) if (nodeTermMatches(compileNodeSelectorTerm(t), nodeName, labels)) return true;
  return false;
}

/** StorageClass.allowedTopologies against node labels (none: any node). */
export function classAllowsNode(cls: KObj, labels: Labels): boolean {
  const terms = cls.allowedTopologies;
  if (!Array.isArray(terms) || terms.length === 0) return true;
  return terms.some((t: KObj) => ((t?.matchLabelExpressions ?? []) as KObj[]).every((e) => Array.isArray(e?.values) && e.values.includes(labels[e.key])));
}

function pvcRequest(pvc: KObj): number {
  return quantityValue(pvc.spec?.resources?.requests?.storage ?? "0");
}

/** findMatchingVolume: the smallest available PV of the claim's class that fits it and the node. */
export function findMatchingVolume(pvc: KObj, pvs: Iterable<KObj>, nodeName: string, labels: Labels, taken: ReadonlyMap<string, string>): KObj | null {
  const want = pvcRequest(pvc);
  const cls = className(pvc);
  const modes: string[] = pvc.spec?.accessModes ?? [];
  const volumeMode = pvc.spec?.volumeMode ?? "Filesystem";
  const claimKey = `${pvc.metadata?.namespace}/${pvc.metadata?.name}`;
  let selector = null;
  try {
    selector = pvc.spec?.selector ? fromLabelSelector(pvc.spec.selector) : null;
  } catch (e) {
    if (!(e instanceof LabelSelectorError)) throw e;
    return null;
  }
  let best: KObj | null = null;
  let bestSize = Infinity;
  for (const pv of pvs) {
    const name = pv.metadata?.name;
    if (pv.metadata?.deletionTimestamp) continue;
    const ref = pv.spec?.claimRef;
    if (ref && !(ref.namespace === pvc.metadata?.namespace && ref.name === pvc.metadata?.name && (!ref.uid || ref.uid === pvc.metadata?.uid))) continue;
    // Upstream takes only Available volumes, a phase its PV controller sets; kite has no such
    // controller, so a new (Pending) unclaimed volume counts as available too.
    const phase = pv.status?.phase;
    if (!ref && phase && phase !== "Available" && phase !== "Pending") continue;
    const takenBy = taken.get(name);
    if (takenBy && takenBy !== claimKey) continue;
    if (String(pv.spec?.storageClassName ?? "") !== cls) continue;
    if ((pv.spec?.volumeMode ?? "Filesystem") !== volumeMode) continue;
    const pvModes: string[] = pv.spec?.accessModes ?? [];
    if (!modes.every((m) => pvModes.includes(m))) continue;
    const size = quantityValue(pv.spec?.capacity?.storage ?? "0");
    if (size < want) continue;
    if (selector && !selector.matches(pv.metadata?.labels ?? {})) continue;
    if (!pvMatchesNode(pv, nodeName, labels)) continue;
    if (ref) return pv; // pre-bound to this claim
    if (size < bestSize) {
      best = pv;
      bestSize = size;
    }
  }
  return best;
}

/**
 * Bind a claim to the static PV the scheduler chose, both ways, as upstream's PV controller
 * would after the scheduler sets the claimRef (kite has no separate PV binder): the PV's
 * claimRef (conditional on the PV's resourceVersion, so a concurrent bind conflicts) and
 * phase Bound, then the claim's volumeName and phase Bound.
 */
export async function bindStatic(client: KubeClient, pv: KObj, pvc: KObj): Promise<void> {
  const ns = pvc.metadata.namespace;
  const name = pvc.metadata.name;
  const claimRef = { kind: "PersistentVolumeClaim", apiVersion: "v1", namespace: ns, name, uid: pvc.metadata.uid, resourceVersion: pvc.metadata.resourceVersion };
  const patchedPV = await client.patch(R.persistentvolumes, undefined, pv.metadata.name, {
    metadata: { resourceVersion: pv.metadata.resourceVersion, annotations: { [ANN_BOUND_BY_CONTROLLER]: "yes" } },
    spec: { claimRef },
  });
  await client.patch(R.persistentvolumes, undefined, pv.metadata.name, { status: { phase: "Bound" } }, "merge", { subresource: "status" });
  await client.patch(R.persistentvolumeclaims, ns, name, { metadata: { annotations: { [ANN_BIND_COMPLETED]: "yes", [ANN_BOUND_BY_CONTROLLER]: "yes" } }, spec: { volumeName: pv.metadata.name } });
  const spec = patchedPV?.spec ?? pv.spec ?? {};
  await client.patch(R.persistentvolumeclaims, ns, name, { status: { phase: "Bound", accessModes: spec.accessModes ?? [], capacity: spec.capacity ?? {} } }, "merge", { subresource: "status" });
}

export interface VolumeBindingOptions {
  listers: VolumeListers;
  client?: KubeClient;
  /** How long PreBind waits for the claims to become bound (upstream bindTimeoutSeconds: 600). */
  bindTimeoutMs?: number;
  pollMs?: number;
}

export class VolumeBinding implements FilterPlugin, BindPlugin {
  readonly name = NAME;
  /** PV name → claim (namespace/name) it was assumed for, until the binding shows up in the informer. */
  private readonly assumedPVs = new Map<string, string>();

  constructor(private readonly opts: VolumeBindingOptions) {}

  preFilter(state: CycleState, pod: PodInfo): Status | typeof SKIP | null {
    if (!pod.claims) return SKIP;
    const l = this.opts.listers;
    const claims: Claims = { bound: [], toBind: [] };
    let immediate = false;
    const ephemeral = new Set((pod.pod.spec?.volumes ?? []).filter((v: KObj) => v?.ephemeral).map((v: KObj) => `${pod.name}-${v.name}`));
    for (const name of pod.claims) {
      const pvc = l.pvc(pod.namespace, name);
      if (!pvc) {
        if (ephemeral.has(name)) return unresolvable(NAME, `waiting for ephemeral volume controller to create the persistentvolumeclaim "${name}"`);
        return unresolvable(NAME, `persistentvolumeclaim "${name}" not found`);
      }
      if (pvc.metadata?.deletionTimestamp) return unresolvable(NAME, `persistentvolumeclaim "${name}" is being deleted`);
      const volumeName = pvc.spec?.volumeName;
      if (volumeName) {
        claims.bound.push({ pvc, pv: l.pv(volumeName) });
        continue;
      }
      // No class at all (not even ""): the default class, which kite's API does not fill in on create.
      const unset = pvc.spec?.storageClassName === undefined && pvc.metadata?.annotations?.["volume.beta.kubernetes.io/storage-class"] === undefined;
      const cn = unset ? (defaultStorageClass(l.storageClasses())?.metadata?.name ?? "") : className(pvc);
      const cls = cn ? l.storageClass(cn) : undefined;
      if (cn && !cls) return unresolvable(NAME, `storageclass.storage.k8s.io "${cn}" not found`);
      if (cls?.volumeBindingMode === "WaitForFirstConsumer") claims.toBind.push({ pvc, cls });
      else immediate = true;
    }
    if (immediate) return unresolvable(NAME, ERR_UNBOUND_IMMEDIATE);
    state.write(STATE_KEY, claims);
    state.write(DECISIONS_KEY, new Map<string, Decision[]>());
    return null;
  }

  filter(state: CycleState, _pod: PodInfo, node: NodeInfo): Status | null {
    const claims = state.read<Claims>(STATE_KEY)!;
    const reasons: string[] = [];
    // checkBoundClaims: stops at the first missing PV (satisfied, not found) or affinity conflict.
    let boundSatisfied = true;
    let pvsFound = true;
    for (const { pv } of claims.bound) {
      if (!pv) {
        pvsFound = false;
        break;
      }
      if (!pvMatchesNode(pv, node.name, node.labels)) {
        boundSatisfied = false;
        break;
      }
    }
    if (!boundSatisfied) reasons.push(ERR_REASON_NODE_CONFLICT);
    if (claims.toBind.length) {
      const decisions: Decision[] = [];
      const chosen = new Map(this.assumedPVs);
      let ok = true;
      for (const { pvc, cls } of claims.toBind) {
        const key = `${pvc.metadata?.namespace}/${pvc.metadata?.name}`;
        const pv = findMatchingVolume(pvc, this.opts.listers.pvs(), node.name, node.labels, chosen);
        if (pv) {
          chosen.set(pv.metadata.name, key);
          decisions.push({ pvc, pv });
        } else if (cls.provisioner && cls.provisioner !== NO_PROVISIONER && classAllowsNode(cls, node.labels)) {
          decisions.push({ pvc, pv: null });
        } else ok = false;
      }
      if (!ok) reasons.push(ERR_REASON_BIND_CONFLICT);
      else state.read<Map<string, Decision[]>>(DECISIONS_KEY)!.set(node.name, decisions);
    }
    if (!pvsFound) reasons.push(ERR_REASON_PV_NOT_EXIST);
    return reasons.length ? unresolvable(NAME, ...reasons) : null;
  }

  reserve(state: CycleState, pod: PodInfo, nodeName: string): Status | null {
    const decisions = state.read<Map<string, Decision[]>>(DECISIONS_KEY)?.get(nodeName);
    if (!decisions) return null;
    for (const d of decisions) if (d.pv) this.assumedPVs.set(d.pv.metadata.name, `${pod.namespace}/${d.pvc.metadata?.name}`);
    return null;
  }

  unreserve(state: CycleState, _pod: PodInfo, nodeName: string) {
    for (const d of state.read<Map<string, Decision[]>>(DECISIONS_KEY)?.get(nodeName) ?? []) if (d.pv) this.assumedPVs.delete(d.pv.metadata.name);
  }

  /** A PV's informer state caught up with (or contradicted) an assumption. */
  forgetPV(name: string) {
    this.assumedPVs.delete(name);
  }

  async preBind(state: CycleState, pod: PodInfo, nodeName: string, signal: AbortSignal): Promise<Status | null> {
    const claims = state.read<Claims>(STATE_KEY);
    const decisions = state.read<Map<string, Decision[]>>(DECISIONS_KEY)?.get(nodeName);
    if (!claims || !decisions || decisions.length === 0) return null;
    const client = this.opts.client;
    if (!client) return errorStatus(NAME, "no API client to bind volumes");
    try {
      for (const d of decisions) {
        const ns = d.pvc.metadata.namespace;
        const name = d.pvc.metadata.name;
        if (d.pv) {
          await bindStatic(client, d.pv, d.pvc);
        } else {
          await client.patch(R.persistentvolumeclaims, ns, name, { metadata: { annotations: { [ANN_SELECTED_NODE]: nodeName } } });
        }
      }
      return await this.waitBound(pod, decisions, nodeName, signal);
    } catch (e) {
      return errorStatus(NAME, `binding volumes: ${(e as Error).message}`);
    }
  }

  /** checkBindings, polled: every claim bound (and its PV exists), or an error when it cannot happen. */
  private async waitBound(pod: PodInfo, decisions: Decision[], nodeName: string, signal: AbortSignal): Promise<Status | null> {
    const l = this.opts.listers;
    const deadline = Date.now() + (this.opts.bindTimeoutMs ?? 600_000);
    // The informer may lag behind our own patch: only a claim seen annotated and then not is "reset".
    const seenAnnotated = new Set<string>();
    for (;;) {
      let done = true;
      for (const d of decisions) {
        const name = d.pvc.metadata.name;
        const pvc = l.pvc(pod.namespace, name);
        if (!pvc) return errorStatus(NAME, `binding volumes: persistentvolumeclaim "${name}" not found`);
        if (!d.pv && !pvc.spec?.volumeName) {
          if (pvc.metadata?.annotations?.[ANN_SELECTED_NODE] === nodeName) seenAnnotated.add(name);
          else if (seenAnnotated.has(name)) return errorStatus(NAME, `binding volumes: selectedNode annotation reset for PVC "${name}"`);
        }
        const vn = pvc.spec?.volumeName;
        if (!vn || !l.pv(vn)) done = false;
      }
      if (done) {
        for (const d of decisions) if (d.pv) this.assumedPVs.delete(d.pv.metadata.name);
        return null;
      }
      if (signal.aborted) return errorStatus(NAME, "binding volumes: scheduler stopped");
      if (Date.now() > deadline) return errorStatus(NAME, "binding volumes: context deadline exceeded");
      await Bun.sleep(this.opts.pollMs ?? 100);
    }
  }
}
