/**
 * @module test/cluster/jepsen/client
 * The fault test's clients: each worker loops over random operations (GET, list, PUT and
 * merge PATCH with and without a resourceVersion, POST, DELETE with and without a
 * precondition) on a small set of ConfigMaps through kite's HTTP API, one request at a time,
 * and records each in the History (test/lib/history.ts) with the outcome the HTTP exchange
 * proves:
 *
 * - an HTTP answer is a known outcome: 200/201 ok (resourceVersion from the body), 404
 *   notFound, 409 conflict (CAS, precondition delete) or exists (create);
 * - a write that cannot have happened is dropped: connection refused (every request opens a
 *   fresh connection, so nothing was sent), 409 on an unconditional write or delete (every
 *   internal compare-and-swap attempt failed), and 503 when kite says the write was never
 *   proposed or its read before the write found no leader;
 * - anything else (timeout, reset, 504, other 5xx) leaves the write's outcome unknown.
 *   A failed read changes nothing and is dropped.
 *
 * A list (GET of the collection) is recorded as one read per key, all over the list's
 * interval, and its resourceVersion goes to the revision checker (revisions.ts).
 */
import type { History } from "../../lib/history.ts";
import type { KvInput, KvOutput } from "../../lib/linearizability/index.ts";
import type { Prng } from "./prng.ts";
import type { JepsenServer } from "./servers.ts";
import type { RevisionLog } from "./revisions.ts";

const NS = "default";
const BASE = `/api/v1/namespaces/${NS}/configmaps`;

export interface Workload {
  keys: readonly string[];
  history: History<KvInput, KvOutput>;
  revisions: RevisionLog;
  /** Per-request deadline (client side). */
  requestTimeoutMs: number;
  /** Upper bound of the random pause between a worker's requests. */
  thinkMs: number;
}

/** How a request ended when no HTTP answer came back. */
export type Failure = "refused" | "unknown";

export function classifyFetchError(e: unknown): Failure {
  const code = (e as { code?: unknown }).code;
  return code === "ECONNREFUSED" || code === "ConnectionRefused" ? "refused" : "unknown";
}

/** kite's 503 messages that prove a write was not applied (see proposal-tracker.ts, read-barrier.ts). */
export function provesNotApplied(status: number, message: string): boolean {
  return status === 503 && (message.includes("was not proposed") || message.includes("linearizable read: no answer from a raft leader"));
}

interface Answer {
  status: number;
  body: { metadata?: { resourceVersion?: string }; data?: { value?: string }; items?: { metadata: { name: string; resourceVersion: string }; data?: { value?: string } }[]; message?: string };
}

const MERGE_PATCH = "application/merge-patch+json";

async function exchangeOnce(s: JepsenServer, method: string, path: string, body: unknown, timeoutMs: number): Promise<Answer | Failure> {
  try {
    const r = await s.request(method, path, body, timeoutMs, method === "PATCH" ? MERGE_PATCH : "application/json");
    const text = await r.text();
    let parsed: Answer["body"] = {};
    try {
      parsed = text ? (JSON.parse(text) as Answer["body"]) : {};
    } catch {
      /* not JSON: no fields */
    }
    return { status: r.status, body: parsed };
  } catch (e) {
    return classifyFetchError(e);
  }
}

function cm(key: string, value: string, rv?: number) {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name: key, namespace: NS, ...(rv !== undefined ? { resourceVersion: String(rv) } : {}) }, data: { value } };
}

/** A JSON merge patch setting the value (with a resourceVersion precondition when given). */
function patch(value: string, rv?: number) {
  return { ...(rv !== undefined ? { metadata: { resourceVersion: String(rv) } } : {}), data: { value } };
}

function rvOf(a: Answer): number | undefined {
  const n = Number(a.body.metadata?.resourceVersion);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** Outcome of a write-like op: its output, "drop" (certainly not applied) or "unknown". */
function writeOutcome(a: Answer | Failure, ok: number, known: Record<number, KvOutput | "drop">): KvOutput | "drop" | "unknown" {
  if (a === "refused") return "drop";
  if (a === "unknown") return "unknown";
  if (a.status === ok) return { type: "ok", rv: rvOf(a) };
  if (a.status in known) return known[a.status]!;
  if (provesNotApplied(a.status, a.body.message ?? "")) return "drop";
  return "unknown";
}

export class Worker {
  private seq = 0;
  /** Last resourceVersion this worker saw per key (for CAS and precondition deletes). */
  private readonly seen = new Map<string, number>();
  ops = 0;
  /** The last request found its server's port closed (down or restarting): back off a little. */
  private refused = false;

  constructor(
    readonly id: number,
    private readonly w: Workload,
    private readonly rng: Prng,
    /** The server this worker uses most of the time. */
    private readonly home: JepsenServer,
    private readonly servers: () => readonly JepsenServer[],
  ) {}

  /** Runs operations until `stop()` returns true. */
  async run(stop: () => boolean): Promise<void> {
    while (!stop()) {
      const s = this.rng.chance(0.8) ? this.home : this.rng.pick(this.servers());
      this.refused = false;
      await this.step(s);
      this.ops++;
      if (this.refused) await Bun.sleep(100);
      else if (this.w.thinkMs > 0) await Bun.sleep(this.rng.int(0, this.w.thinkMs));
    }
  }

  private async exchange(s: JepsenServer, method: string, path: string, body: unknown, timeoutMs: number): Promise<Answer | Failure> {
    const a = await exchangeOnce(s, method, path, body, timeoutMs);
    if (a === "refused") this.refused = true;
    return a;
  }

  private value(): string {
    return `c${this.id}-${++this.seq}`;
  }

  async step(s: JepsenServer): Promise<void> {
    const key = this.rng.pick(this.w.keys);
    const r = this.rng.next();
    if (r < 0.3) return void (await this.read(s, key));
    if (r < 0.36) return this.list(s);
    if (r < 0.56) return this.write(s, key);
    if (r < 0.78) return this.cas(s, key);
    if (r < 0.9) return this.create(s, key);
    return this.remove(s, key);
  }

  async read(s: JepsenServer, key: string, clientId = this.id): Promise<KvOutput | undefined> {
    const call = this.w.revisions.now();
    const op = this.w.history.begin(clientId, { op: "read", key });
    const a = await this.exchange(s, "GET", `${BASE}/${key}`, undefined, this.w.requestTimeoutMs);
    if (typeof a !== "string" && a.status === 200 && typeof a.body.data?.value === "string" && rvOf(a) !== undefined) {
      const out = { type: "found", value: a.body.data.value, rv: rvOf(a)! } as const;
      op.end(out);
      this.seen.set(key, out.rv);
      this.w.revisions.record({ kind: "read", client: clientId, key, call, ret: this.w.revisions.now(), rev: out.rv });
      return out;
    }
    if (typeof a !== "string" && a.status === 404) {
      op.end({ type: "notFound" });
      this.seen.delete(key);
      return { type: "notFound" };
    }
    op.fail(false);
    return undefined;
  }

  async list(s: JepsenServer): Promise<void> {
    const call = this.w.revisions.now();
    const ops = this.w.keys.map((key) => ({ key, op: this.w.history.begin(this.id, { op: "read", key }) }));
    const a = await this.exchange(s, "GET", BASE, undefined, this.w.requestTimeoutMs);
    const rev = typeof a === "string" ? undefined : Number(a.body.metadata?.resourceVersion);
    if (typeof a === "string" || a.status !== 200 || !Array.isArray(a.body.items) || !Number.isSafeInteger(rev)) {
      for (const o of ops) o.op.fail(false);
      return;
    }
    const byName = new Map(a.body.items.map((i) => [i.metadata.name, i]));
    for (const { key, op } of ops) {
      const item = byName.get(key);
      const rv = Number(item?.metadata.resourceVersion);
      if (!item) op.end({ type: "notFound" });
      else if (typeof item.data?.value === "string" && Number.isSafeInteger(rv)) op.end({ type: "found", value: item.data.value, rv });
      else op.fail(false);
    }
    this.w.revisions.record({ kind: "list", client: this.id, call, ret: this.w.revisions.now(), rev: rev! });
  }

  private async writeLike(input: KvInput & { value?: string }, send: () => Promise<Answer | Failure>, ok: number, known: Record<number, KvOutput | "drop">): Promise<void> {
    const call = this.w.revisions.now();
    const op = this.w.history.begin(this.id, input);
    const a = await send();
    const out = writeOutcome(a, ok, known);
    if (out === "drop") op.fail(false);
    else if (out === "unknown") op.fail(true);
    else {
      op.end(out);
      if (out.type === "ok" && out.rv !== undefined) {
        if (input.op === "delete") this.seen.delete(input.key);
        else this.seen.set(input.key, out.rv);
        this.w.revisions.record({ kind: "write", client: this.id, call, ret: this.w.revisions.now(), rev: out.rv });
      }
    }
  }

  /** Unconditional update: PUT of the whole object, or a merge PATCH (both 404 on a missing key). */
  write(s: JepsenServer, key: string): Promise<void> {
    const value = this.value();
    const send = this.rng.chance(0.5) ? () => this.exchange(s, "PUT", `${BASE}/${key}`, cm(key, value), this.w.requestTimeoutMs) : () => this.exchange(s, "PATCH", `${BASE}/${key}`, patch(value), this.w.requestTimeoutMs);
    return this.writeLike({ op: "write", key, value }, send, 200, {
      404: { type: "notFound" },
      409: "drop",
    });
  }

  create(s: JepsenServer, key: string): Promise<void> {
    const value = this.value();
    return this.writeLike({ op: "create", key, value }, () => this.exchange(s, "POST", BASE, cm(key, value), this.w.requestTimeoutMs), 201, { 409: { type: "exists" } });
  }

  /** CAS (PUT or merge PATCH carrying metadata.resourceVersion) on the last resourceVersion this worker saw (sometimes a stale guess); a read first if it has none. */
  async cas(s: JepsenServer, key: string): Promise<void> {
    let rv = this.seen.get(key);
    if (rv === undefined) {
      await this.read(s, key);
      return;
    }
    if (this.rng.chance(0.1)) rv = Math.max(1, rv - this.rng.int(1, 3));
    const value = this.value();
    const expectedRV = rv;
    const send = this.rng.chance(0.5)
      ? () => this.exchange(s, "PUT", `${BASE}/${key}`, cm(key, value, expectedRV), this.w.requestTimeoutMs)
      : () => this.exchange(s, "PATCH", `${BASE}/${key}`, patch(value, expectedRV), this.w.requestTimeoutMs);
    return this.writeLike({ op: "cas", key, expectedRV, value }, send, 200, {
      404: { type: "notFound" },
      409: { type: "conflict" },
    });
  }

  remove(s: JepsenServer, key: string): Promise<void> {
    const rv = this.rng.chance(0.5) ? this.seen.get(key) : undefined;
    const body = rv !== undefined ? { preconditions: { resourceVersion: String(rv) } } : undefined;
    return this.writeLike(rv !== undefined ? { op: "delete", key, expectedRV: rv } : { op: "delete", key }, () => this.exchange(s, "DELETE", `${BASE}/${key}`, body, this.w.requestTimeoutMs), 200, {
      404: { type: "notFound" },
      409: rv !== undefined ? { type: "conflict" } : "drop",
    });
  }
}
