/**
 * @module client/events
 * An event recorder like client-go's: core/v1 Events about an object, with repeats of
 * the same reason and message folded into one Event whose count grows (kubectl
 * describe shows "x3 over 2m").
 */
import type { KObj, KubeClient } from "./client.ts";
import { R } from "./resources.ts";
import { rfc3339 } from "../api/registry/objects.ts";
import { logger } from "../util/log.ts";

const log = logger("events");

interface Seen {
  name: string;
  namespace: string;
  count: number;
  first: string;
  at: number;
}

/**
 * Like upstream's EventSourceObjectSpamFilter, a token bucket per (source, object), one token
 * per 5 minutes; the burst is 100 rather than upstream's 25, so a few quick rollouts of one
 * Deployment still show every scaling step in `kubectl describe`.
 */
const SPAM_BURST = 100;
const SPAM_REFILL_MS = 5 * 60_000;

export class EventRecorder {
  private seen = new Map<string, Seen>();
  private buckets = new Map<string, { tokens: number; at: number }>();

  /** False when this object has used up its event budget (the event is dropped, like upstream). */
  private allow(uid: string, now: number): boolean {
    let b = this.buckets.get(uid);
    if (!b) {
      if (this.buckets.size > 8192) this.buckets.clear();
      this.buckets.set(uid, (b = { tokens: SPAM_BURST, at: now }));
    }
    const refill = Math.floor((now - b.at) / SPAM_REFILL_MS);
    if (refill > 0) {
      b.tokens = Math.min(SPAM_BURST, b.tokens + refill);
      b.at += refill * SPAM_REFILL_MS;
    }
    if (b.tokens <= 0) return false;
    b.tokens--;
    return true;
  }

  constructor(
    private readonly client: KubeClient,
    private readonly component: string,
    private readonly host?: string,
  ) {}

  /** Fire and forget: failures are logged, never thrown. */
  event(obj: KObj, type: "Normal" | "Warning", reason: string, message: string, fieldPath?: string) {
    void this.record(obj, type, reason, message, fieldPath).catch((e) => log.debug("event not recorded", { reason, error: e as Error }));
  }

  private async record(obj: KObj, type: string, reason: string, message: string, fieldPath?: string) {
    const m = obj.metadata ?? {};
    const namespace = m.namespace || "default";
    const key = `${m.uid}|${fieldPath ?? ""}|${type}|${reason}|${message}`;
    const now = new Date();
    if (!this.seen.has(key) && !this.allow(String(m.uid ?? m.name), now.getTime())) return;
    const ts = rfc3339(now);
    const prev = this.seen.get(key);
    if (prev && now.getTime() - prev.at < 10 * 60_000) {
      prev.count++;
      prev.at = now.getTime();
      try {
        await this.client.patch(R.events, prev.namespace, prev.name, { count: prev.count, lastTimestamp: ts });
        return;
      } catch {
        /* fall through and create a new one */
      }
    }
    if (this.seen.size > 4096) this.seen.clear();
    const name = `${m.name}.${(now.getTime() * 1000 + Math.floor(Math.random() * 1000)).toString(16)}`;
    const ev = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name, namespace },
      involvedObject: { kind: obj.kind, namespace: m.namespace, name: m.name, uid: m.uid, apiVersion: obj.apiVersion, resourceVersion: m.resourceVersion, ...(fieldPath ? { fieldPath } : {}) },
      reason,
      message,
      type,
      source: { component: this.component, ...(this.host ? { host: this.host } : {}) },
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
      reportingComponent: this.component,
      reportingInstance: this.host ?? "",
    };
    await this.client.create(R.events, namespace, ev);
    this.seen.set(key, { name, namespace, count: 1, first: ts, at: now.getTime() });
  }
}
