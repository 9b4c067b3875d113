/**
 * @module scheduler/api-writes
 * Everything the scheduler writes to the API: the pods/binding subresource, the
 * PodScheduled=False condition and nominatedNodeName (a strategic merge patch of
 * pods/status, sent only when something changed, like upstream's updatePod), preemption
 * of victims (DisruptionTarget condition, then delete), and events — through a rate limit
 * (kube-scheduler's event client is limited to 50 QPS too), so a burst of thousands of
 * bindings does not double the API load.
 */
import type { EventRecorder } from "../client/events.ts";
import { isNotFound, type KObj, type KubeClient } from "../client/client.ts";
import { R } from "../client/resources.ts";
import { rfc3339 } from "../api/registry/objects.ts";
import type { PodInfo } from "./pod-info.ts";

/** Upstream truncates event notes to 1024 bytes with " ..." appended. */
export function truncateMessage(msg: string, max = 1024): string {
  if (msg.length <= max) return msg;
  return msg.slice(0, max - 4) + " ...";
}

export async function bindPod(client: KubeClient, pod: PodInfo, node: string): Promise<void> {
  await client.createSub(R.pods, pod.namespace, pod.name, "binding", {
    apiVersion: "v1",
    kind: "Binding",
    metadata: { name: pod.name, namespace: pod.namespace, uid: pod.uid },
    target: { apiVersion: "v1", kind: "Node", name: node },
  });
}

export interface ScheduledCondition {
  reason: string;
  message: string;
}

/**
 * updatePod: patch PodScheduled=False (reason, message) and nominatedNodeName when they
 * differ from what the pod shows. `nominated` undefined leaves the nomination alone.
 */
export function conditionPatch(pod: KObj, cond: ScheduledCondition, nominated: string | undefined, now: Date): KObj | null {
  const conds: KObj[] = Array.isArray(pod.status?.conditions) ? pod.status.conditions : [];
  const old = conds.find((c) => c?.type === "PodScheduled");
  const same = old && old.status === "False" && old.reason === cond.reason && old.message === cond.message;
  const nnChange = nominated !== undefined && (pod.status?.nominatedNodeName ?? "") !== nominated;
  if (same && !nnChange) return null;
  const status: KObj = {};
  if (!same) {
    const lastTransitionTime = old && old.status === "False" && old.lastTransitionTime ? old.lastTransitionTime : rfc3339(now);
    status.conditions = [{ type: "PodScheduled", status: "False", reason: cond.reason, message: cond.message, lastTransitionTime }];
  }
  if (nnChange) status.nominatedNodeName = nominated || null;
  return { status };
}

export async function patchPodStatus(client: KubeClient, pod: PodInfo, patch: KObj): Promise<void> {
  try {
    await client.patch(R.pods, pod.namespace, pod.name, patch, "strategic", { subresource: "status" });
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

/** Preempt one victim: mark it (DisruptionTarget) and delete it; the preemptor gets a "Preempted" event on the victim. */
export async function preemptVictim(client: KubeClient, recorder: EventRecorder, victim: PodInfo, preemptor: PodInfo, node: string, now: Date): Promise<void> {
  const message = `Preempted by pod ${preemptor.uid} on node ${node}`;
  try {
    await client.patch(
      R.pods,
      victim.namespace,
      victim.name,
      { status: { conditions: [{ type: "DisruptionTarget", status: "True", reason: "PreemptionByScheduler", message, lastTransitionTime: rfc3339(now) }] } },
      "strategic",
      { subresource: "status" },
    );
    await client.delete(R.pods, victim.namespace, victim.name, { preconditions: { uid: victim.uid } });
    recorder.event(victim.pod, "Normal", "Preempted", message);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

/** A token bucket for events: `perSecond` sustained, `burst` at once; the rest are dropped. */
export class EventLimiter {
  private tokens: number;
  private last = Date.now();
  dropped = 0;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens--;
      return true;
    }
    this.dropped++;
    return false;
  }
}

/**
 * client-go's EventSourceObjectSpamFilter for one component: per object, a burst of 25
 * events, then one per 5 minutes — an unschedulable pod retried on every cluster change
 * does not write an event each time.
 */
export class SpamFilter {
  private buckets = new Map<string, { tokens: number; last: number }>();

  constructor(
    private readonly burst = 25,
    private readonly refillMs = 300_000,
    private readonly now: () => number = Date.now,
  ) {}

  allow(key: string): boolean {
    const t = this.now();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= 50_000) this.buckets.clear();
      this.buckets.set(key, (b = { tokens: this.burst, last: t }));
    }
    b.tokens = Math.min(this.burst, b.tokens + (t - b.last) / this.refillMs);
    b.last = t;
    if (b.tokens < 1) return false;
    b.tokens--;
    return true;
  }

  forget(key: string) {
    this.buckets.delete(key);
  }
}
