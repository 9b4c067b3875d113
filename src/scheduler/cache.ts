/**
 * @module scheduler/cache
 * The scheduler's in-memory view of nodes and placed pods (upstream's scheduler cache):
 * NodeInfos updated incrementally from informer events, plus pods the scheduler itself
 * has placed but whose binding the informer has not shown yet ("assumed": counted at once
 * so the next pod sees the resources as taken; confirmed by the informer, or forgotten when
 * the binding fails). It is also the cycle's Snapshot: nodes ordered with zones
 * interleaved (upstream's node tree), so sampling a fraction of nodes spans zones.
 */
import type { KObj } from "../client/client.ts";
import type { Snapshot } from "./framework.ts";
import { NO_LABELS, type Labels } from "./matchers.ts";
import { LABEL_REGION, LABEL_ZONE, NodeInfo } from "./node-info.ts";
import { PodCountIndex } from "./pod-counts.ts";
import { isTerminal, podInfo, type PodInfo } from "./pod-info.ts";

interface PodState {
  info: PodInfo;
  node: string;
  assumed: boolean;
}

function zoneOf(node: KObj): string {
  const l = node.metadata?.labels ?? {};
  const region = l[LABEL_REGION] ?? "";
  const zone = l[LABEL_ZONE] ?? "";
  return region || zone ? `${region}:\u0000:${zone}` : "";
}

export class SchedulerCache implements Snapshot {
  private readonly infos = new Map<string, NodeInfo>();
  private readonly podStates = new Map<string, PodState>();
  private readonly zones = new Map<string, string>();
  private readonly zoneNodes = new Map<string, string[]>();
  private order: NodeInfo[] = [];
  private orderDirty = true;
  readonly counts: PodCountIndex;
  affinityPods = 0;
  requiredAntiAffinityPods = 0;
  private readonly softTainted = new Set<string>();
  namespaceLabelsFn: (ns: string) => Labels | undefined = () => undefined;

  constructor() {
    const states = this.podStates;
    this.counts = new PodCountIndex(function* () {
      for (const s of states.values()) yield [s.node, s.info];
    });
  }

  // --- Snapshot -----------------------------------------------------------------------

  get nodes(): readonly NodeInfo[] {
    if (this.orderDirty) this.rebuildOrder();
    return this.order;
  }

  get(name: string): NodeInfo | undefined {
    return this.infos.get(name);
  }

  get preferNoScheduleNodes(): number {
    return this.softTainted.size;
  }

  namespaceLabels(ns: string): Labels {
    return this.namespaceLabelsFn(ns) ?? NO_LABELS;
  }

  private rebuildOrder() {
    const lists: NodeInfo[][] = [];
    let total = 0;
    for (const names of this.zoneNodes.values()) {
      const l: NodeInfo[] = [];
      for (const n of names) {
        const info = this.infos.get(n);
        if (info?.node) l.push(info);
      }
      total += l.length;
      lists.push(l);
    }
    const out: NodeInfo[] = [];
    for (let i = 0; out.length < total; i++) {
      for (const l of lists) if (i < l.length) out.push(l[i]!);
    }
    this.order = out;
    this.orderDirty = false;
  }

  /** upstream nodeTree: zones in order of first appearance, nodes in order of addition. */
  private placeInZone(name: string, zone: string | undefined) {
    const old = this.zones.get(name);
    if (old !== undefined) {
      const l = this.zoneNodes.get(old);
      if (l) {
        const i = l.indexOf(name);
        if (i >= 0) l.splice(i, 1);
        if (l.length === 0) this.zoneNodes.delete(old);
      }
      this.zones.delete(name);
    }
    if (zone === undefined) return;
    this.zones.set(name, zone);
    let l = this.zoneNodes.get(zone);
    if (!l) this.zoneNodes.set(zone, (l = []));
    l.push(name);
  }

  // --- nodes --------------------------------------------------------------------------

  /** Add or update a node. */
  setNode(node: KObj): NodeInfo {
    const name = String(node.metadata?.name ?? "");
    let info = this.infos.get(name);
    if (!info) this.infos.set(name, (info = new NodeInfo(name)));
    const hadNode = !!info.node;
    info.setNode(node);
    if (info.taints.some((t) => t.effect === "PreferNoSchedule")) this.softTainted.add(name);
    else this.softTainted.delete(name);
    const z = zoneOf(node);
    if (!hadNode || this.zones.get(name) !== z) {
      this.placeInZone(name, z);
      this.orderDirty = true;
    }
    return info;
  }

  removeNode(name: string) {
    const info = this.infos.get(name);
    if (!info) return;
    info.clearNode();
    this.softTainted.delete(name);
    this.placeInZone(name, undefined);
    // Pods on a deleted node still hold their place until they are deleted themselves.
    if (info.pods.size === 0) this.infos.delete(name);
    this.orderDirty = true;
  }

  nodeCount(): number {
    return this.nodes.length;
  }

  // --- pods ---------------------------------------------------------------------------

  private place(info: PodInfo, node: string) {
    let n = this.infos.get(node);
    if (!n) this.infos.set(node, (n = new NodeInfo(node)));
    n.addPod(info);
    this.counts.onAdd(node, info);
    if (info.hasAffinity) this.affinityPods++;
    if (info.requiredAntiAffinity) this.requiredAntiAffinityPods++;
  }

  private unplace(s: PodState) {
    const n = this.infos.get(s.node);
    if (!n) return;
    if (n.removePod(s.info)) {
      this.counts.onRemove(s.node, s.info);
      if (s.info.hasAffinity) this.affinityPods--;
      if (s.info.requiredAntiAffinity) this.requiredAntiAffinityPods--;
    }
    if (!n.node && n.pods.size === 0) this.infos.delete(s.node);
  }

  /** An assigned pod from the informer (add or update). Terminal pods are removed. Returns the PodInfo placed, if any. */
  upsertPod(pod: KObj): PodInfo | undefined {
    const uid = String(pod.metadata?.uid ?? "");
    const nodeName = String(pod.spec?.nodeName ?? "");
    const prev = this.podStates.get(uid);
    if (isTerminal(pod) || (!nodeName && !prev?.assumed)) {
      if (prev) this.removePodByUid(uid);
      return undefined;
    }
    // An update of a pod we assumed, before the binding shows: keep the assumption.
    if (!nodeName) return prev!.info;
    if (prev && !prev.assumed && prev.info.pod === pod) return prev.info;
    const info = podInfo(pod);
    if (prev) this.unplace(prev);
    this.podStates.set(uid, { info, node: nodeName, assumed: false });
    this.place(info, nodeName);
    return info;
  }

  removePodByUid(uid: string): PodInfo | undefined {
    const s = this.podStates.get(uid);
    if (!s) return undefined;
    this.unplace(s);
    this.podStates.delete(uid);
    return s.info;
  }

  /** Count a pod on a node before the binding is confirmed. Returns the assumed PodInfo. */
  assumePod(info: PodInfo, nodeName: string): PodInfo {
    const assumed: PodInfo = { ...info, nodeName };
    const prev = this.podStates.get(info.uid);
    if (prev) this.unplace(prev);
    this.podStates.set(info.uid, { info: assumed, node: nodeName, assumed: true });
    this.place(assumed, nodeName);
    return assumed;
  }

  /** The binding failed: undo the assumption (unless the informer has confirmed a placement meanwhile). */
  forgetPod(info: PodInfo) {
    const s = this.podStates.get(info.uid);
    if (s?.assumed) this.removePodByUid(info.uid);
  }

  podInfoOf(uid: string): PodInfo | undefined {
    return this.podStates.get(uid)?.info;
  }

  isAssumed(uid: string): boolean {
    return this.podStates.get(uid)?.assumed === true;
  }

  podNode(uid: string): string | undefined {
    return this.podStates.get(uid)?.node;
  }

  podCount(): number {
    return this.podStates.size;
  }

  assumedCount(): number {
    let n = 0;
    for (const s of this.podStates.values()) if (s.assumed) n++;
    return n;
  }

  /** All placed pods (for preemption and tests). */
  *pods(): Iterable<PodInfo> {
    for (const s of this.podStates.values()) yield s.info;
  }

  clear() {
    this.infos.clear();
    this.podStates.clear();
    this.zones.clear();
    this.zoneNodes.clear();
    this.softTainted.clear();
    this.affinityPods = 0;
    this.requiredAntiAffinityPods = 0;
    this.counts.clear();
    this.order = [];
    this.orderDirty = true;
  }
}
