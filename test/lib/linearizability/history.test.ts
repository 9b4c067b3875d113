/**
 * The history recorder (test/lib/history.ts): begin/end/fail bookkeeping, JSON round trip,
 * failure reports — and the whole loop end to end: concurrent async clients record their
 * requests against an in-process store with real timers, then the history is checked. A
 * correct store (with requests that time out but still land later) checks Ok; a store that
 * serves reads from a lagging follower checks Illegal, and the report shows the stale read.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatCheckResult, History, HistoryStateError, operationsFromJSON, saveFailureReport } from "../history.ts";
import { kvModel, registerModel, type KvInput, type KvOutput, type RegisterInput, type RegisterOutput } from "./models.ts";
import { prng, SequentialKv } from "./sim.ts";

const kv = kvModel();

describe("History recorder", () => {
  test("records calls and returns on a monotonic clock, in begin order", () => {
    let now = 100;
    const h = new History<RegisterInput, RegisterOutput>({ now: () => now });
    now = 110;
    const a = h.begin(1, { op: "write", value: 1 });
    now = 115;
    const b = h.begin(2, { op: "read" });
    now = 120;
    b.end({ value: null });
    now = 130;
    a.end({});
    expect(h.operations()).toEqual([
      { clientId: 1, input: { op: "write", value: 1 }, call: 10, output: {}, return: 30 },
      { clientId: 2, input: { op: "read" }, call: 15, output: { value: null }, return: 20 },
    ]);
    expect(h.size).toBe(2);
    expect(h.open).toBe(0);
  });

  test("fail(true) keeps the op with an unknown outcome, fail(false) drops it, open ops count as unknown", () => {
    const h = new History<RegisterInput, RegisterOutput>();
    h.begin(1, { op: "write", value: 1 }).fail(true);
    h.begin(1, { op: "write", value: 2 }).fail(false);
    h.begin(2, { op: "write", value: 3 });
    const ops = h.operations();
    expect(ops.map((o) => (o.input as { value: number }).value)).toEqual([1, 3]);
    for (const o of ops) {
      expect(o.return).toBe(Infinity);
      expect(o.output).toBeUndefined();
    }
    expect(h.open).toBe(1);
  });

  test("closing an op twice, or ending without an output, is a HistoryStateError", () => {
    const h = new History<RegisterInput, RegisterOutput>();
    const op = h.begin(1, { op: "read" });
    op.end({ value: null });
    expect(() => op.end({ value: null })).toThrow(HistoryStateError);
    expect(() => op.fail(true)).toThrow("already closed (done)");
    expect(() => h.begin(1, { op: "read" }).end(undefined as unknown as RegisterOutput)).toThrow(HistoryStateError);
  });

  test("JSON round trip keeps unknown outcomes (Infinity is not JSON)", () => {
    const h = new History<RegisterInput, RegisterOutput>();
    h.begin(1, { op: "write", value: 1 }).end({});
    h.begin(2, { op: "write", value: 2 }).fail(true);
    const json = JSON.stringify(h.toJSON());
    expect(json).toContain('"return":null');
    expect(operationsFromJSON<RegisterInput, RegisterOutput>(json)).toEqual(h.operations());
    expect(() => operationsFromJSON("{}")).toThrow(TypeError);
  });

  test("check() and the text report", () => {
    const h = new History<RegisterInput, RegisterOutput>();
    const model = registerModel();
    h.begin(1, { op: "write", value: 7 }).end({});
    expect(h.check(model).ok).toBe("Ok");
    h.begin(2, { op: "read" }).end({ value: 8 });
    const res = h.check(model);
    expect(res.ok).toBe("Illegal");
    const text = formatCheckResult(res, model);
    expect(text).toContain("linearizability: Illegal");
    expect(text).toMatch(/stuck: #1 client 2 .* read\(\) → 8/);
    expect(text).toContain("State there: 7");
  });
});

// ---------------------------------------------------------------------------------------------
// End to end with real timers

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** An in-process store: each request lands atomically after a random delay, answers after another. */
class AsyncKv {
  constructor(protected readonly rnd: () => number) {}
  protected readonly leader = new SequentialKv();
  async request(i: KvInput): Promise<KvOutput> {
    await sleep(this.rnd() * 4);
    const out = this.serve(i);
    await sleep(this.rnd() * 4);
    return out;
  }
  protected serve(i: KvInput): KvOutput {
    return this.leader.apply(i);
  }
}

/** The bug: reads are served by a follower that applies the leader's writes 40 ms late. */
class LaggingFollowerKv extends AsyncKv {
  private readonly follower = new SequentialKv();
  protected override serve(i: KvInput): KvOutput {
    if (i.op === "read") return this.follower.apply(i);
    const out = this.leader.apply(i);
    setTimeout(() => this.follower.apply(i), 40);
    return out;
  }
}

/** A client: requests in sequence; gives up after `timeoutMs` (the request may still land). */
async function runClient(id: number, store: AsyncKv, history: History<KvInput, KvOutput>, rnd: () => number, ops: number, timeoutMs: number): Promise<void> {
  const lastRV = new Map<string, number>();
  for (let n = 0; n < ops; n++) {
    const key = `k${Math.floor(rnd() * 2)}`;
    const dice = rnd();
    const input: KvInput =
      dice < 0.45 ? { op: "read", key }
      : dice < 0.75 ? { op: "write", key, value: `c${id}-${n}` }
      : dice < 0.9 ? { op: "cas", key, expectedRV: lastRV.get(key) ?? 1, value: `c${id}-${n}` }
      : { op: "delete", key };
    const op = history.begin(id, input);
    const res = await Promise.race([store.request(input), sleep(timeoutMs).then(() => undefined)]);
    if (res === undefined) {
      op.fail(true);
      continue;
    }
    op.end(res);
    if ((res.type === "found" || res.type === "ok") && res.rv !== undefined) lastRV.set(key, res.rv);
  }
}

describe("end to end: concurrent clients, real timers, recorded history", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  test("a correct store checks Ok, with some requests timing out", async () => {
    const rnd = prng(42);
    const store = new AsyncKv(rnd);
    const history = new History<KvInput, KvOutput>();
    await Promise.all([0, 1, 2, 3].map((c) => runClient(c, store, history, prng(c + 1), 60, 6)));
    await sleep(20); // let timed-out requests land
    const ops = history.operations();
    expect(ops.length).toBe(240);
    expect(ops.some((o) => o.return === Infinity)).toBe(true);
    const res = history.check(kv);
    if (res.ok !== "Ok") throw new Error(formatCheckResult(res, kv));
  });

  test("a store serving stale follower reads checks Illegal, and the report is saved", async () => {
    const store = new LaggingFollowerKv(prng(7));
    const history = new History<KvInput, KvOutput>();
    const call = async (client: number, input: KvInput) => {
      const op = history.begin(client, input);
      op.end(await store.request(input));
    };
    await call(1, { op: "write", key: "x", value: "v1" });
    await sleep(60); // the follower catches up with v1
    await call(1, { op: "write", key: "x", value: "v2" });
    await call(2, { op: "read", key: "x" }); // the follower still has v1
    const res = history.check(kv);
    expect(res.ok).toBe("Illegal");
    const ill = res.firstIllegal!;
    expect(ill.operations[ill.stuck]!.input).toEqual({ op: "read", key: "x" });
    expect((ill.operations[ill.stuck]!.output as { value: string }).value).toBe("v1");

    const dir = await mkdtemp(join(tmpdir(), "kite-history-"));
    dirs.push(dir);
    const [jsonPath, textPath] = await saveFailureReport(dir, history, res, kv);
    expect(operationsFromJSON<KvInput, KvOutput>(await readFile(jsonPath!, "utf8"))).toEqual(history.operations());
    const text = await readFile(textPath!, "utf8");
    expect(text).toContain('read(x) → "v1"@1');
    expect(text).toContain('State there: "v2" (never read)@2');
  });
});
