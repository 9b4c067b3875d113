/**
 * Real-process fault test of kite's HA store (Jepsen-style), checked for linearizability.
 *
 * Three `kite server` processes; eight clients read, write, compare-and-swap, create and
 * delete eight ConfigMaps through the HTTP API while a seeded nemesis SIGKILLs and restarts
 * servers (often the leader), pauses them, and partitions the network (the leader isolated,
 * one-way links, a bridge) with iptables on loopback, or kite's fault endpoint where the host
 * cannot. After a full heal and final reads of every key on every server, the history must
 * be linearizable (per key: no acknowledged write lost, no read of a value never written, no
 * read back in time), revisions must move forward across keys, and the servers must agree.
 *
 * The canary runs the same harness against a deliberately broken read path
 * (KITE_TEST_STALE_READS=1: followers read local state without ReadIndex) with a follower
 * cut off: the checker must call that history Illegal.
 *
 * Replay a run's schedule with KITE_JEPSEN_SEED=<seed> (printed at the start); a failing run
 * prints the path of its report (history, checker output, timeline, server logs).
 * KITE_JEPSEN_SECONDS sets the length of the fault phase (soak runs); KITE_JEPSEN_NETWORK=hook
 * forces partitions through kite's fault endpoint instead of iptables.
 */
import { afterAll, describe, expect, it } from "bun:test";
import { runScenario } from "./jepsen/harness.ts";
import { closeAllNetworks } from "./jepsen/network.ts";
import { JepsenCluster } from "./jepsen/servers.ts";
import { describeStep, makeSchedule, runSchedule } from "./jepsen/nemesis.ts";
import { Prng, seedFromEnv } from "./jepsen/prng.ts";

const seed = seedFromEnv();
/** Length of the fault phase; raise it for a soak run (KITE_JEPSEN_SECONDS=600). */
const faultSeconds = Number(process.env.KITE_JEPSEN_SECONDS) || 35;
console.log(`jepsen: seed ${seed} (replay with KITE_JEPSEN_SEED=${seed})`);

describe("kite HA store under faults (real processes)", () => {
  // A run abandoned by a timeout keeps going in the background: stop what it started.
  afterAll(async () => {
    await JepsenCluster.stopAll();
    closeAllNetworks();
  });

  it("stays linearizable through kills, pauses and partitions", async () => {
    const r = await runScenario({
      name: "faults",
      seed,
      workers: 8,
      keys: 8,
      network: process.env.KITE_JEPSEN_NETWORK === "hook" ? "hook" : "auto",
      // A snapshot and log compaction every 100 entries: a restarted server often catches up by snapshot.
      env: { KITE_RAFT_SNAPSHOT_EVERY: "100", KITE_RAFT_COMPACTION_MARGIN: "10" },
      settleMs: 3000,
      async nemesis(ctx) {
        const steps = makeSchedule(new Prng(seed).fork(7), { steps: Math.ceil(faultSeconds / 3), oneWay: ctx.network.oneWay });
        ctx.log(`schedule (until ${faultSeconds} s have passed): ${steps.map(describeStep).join("; ")}`);
        const done = await runSchedule(ctx, steps, Date.now() + faultSeconds * 1000);
        ctx.log(`${done} fault steps done`);
      },
    });
    if (!r.ok) {
      console.log(r.checkText);
      for (const v of r.revisionViolations.slice(0, 10)) console.log(v.message);
      for (const d of r.disagreements) console.log(`final reads disagree: ${d}`);
    }
    expect(r.ops).toBeGreaterThan(100);
    expect({ seed, linearizable: r.check.ok, revisionViolations: r.revisionViolations.length, disagreements: r.disagreements, nemesis: r.nemesisError?.message, report: r.reportDir }).toEqual({
      seed,
      linearizable: "Ok",
      revisionViolations: 0,
      disagreements: [],
      nemesis: undefined,
      report: undefined,
    });
  }, 115_000 + faultSeconds * 1000);

  it("canary: stale follower reads (KITE_TEST_STALE_READS=1) behind a partition are caught as Illegal", async () => {
    const r = await runScenario({
      name: "canary",
      seed,
      workers: 6,
      keys: 4,
      network: "hook",
      env: { KITE_TEST_STALE_READS: "1" },
      // Short deadlines: a worker's write on the cut-off follower must not keep it from reading there for long.
      requestTimeoutMs: 1500,
      settleMs: 500,
      reportOnFailure: false,
      async nemesis(ctx) {
        const leader = await ctx.cluster.leader(10_000);
        const follower = ctx.cluster.servers.find((s) => s !== leader)!;
        for (const o of ctx.cluster.servers.filter((s) => s !== follower)) {
          await ctx.network.block(follower, o);
          await ctx.network.block(o, follower);
        }
        ctx.log(`isolate follower ${follower.name}: ${ctx.network.describe()}`);
        await Bun.sleep(6000);
      },
    });
    console.log(r.checkText.split("\n").slice(0, 30).join("\n"));
    expect(r.check.ok).toBe("Illegal");
  }, 90_000);
});
