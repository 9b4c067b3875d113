/**
 * RaftStore behaviour beyond the Store contract, on in-process members over the real
 * transport and real SQLite files: catch-up by snapshot after log compaction, recovery
 * of the whole cluster from disk alone, a stray member of another cluster kept out,
 * ReadIndex batching, membership changes (removal, no growth to two voters).
 */
import { afterEach, describe, expect, it } from "bun:test";
import { join } from "node:path";
import type { Server } from "bun";
import { websocketHandlers, type WsData } from "../../src/api/app.ts";
import { RaftStore } from "../../src/cluster/raft-store.ts";
import { RAFT_PATH } from "../../src/cluster/transport.ts";
import { newClusterId } from "../../src/cluster/members.ts";
import { setLogLevel } from "../../src/util/log.ts";
import { startInProcessCluster, type InProcessCluster } from "./in-process.ts";

setLogLevel("warn");
let c: InProcessCluster | null = null;
afterEach(async () => {
  await c?.stop();
  c = null;
});

async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string) {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

describe("RaftStore cluster", () => {
  it("a member that was down while the log was compacted catches up by snapshot", async () => {
    c = await startInProcessCluster(3, { snapshotEvery: 50, compactionMargin: 10 });
    const leader = await c.waitLeader();
    const lagger = c.members.find((m) => m !== leader)!;
    await lagger.crash();
    // ~1.2 MB of state: the snapshot travels in several chunks.
    const big = "x".repeat(4000);
    for (let i = 0; i < 300; i += 30) await Promise.all(Array.from({ length: 30 }, (_, j) => leader.store.create(`/snap/${i + j}`, `${big}${i + j}`)));
    const sentBefore = leader.store.node.transport.stats.snapshotsSent;
    const back = await c.restart(lagger);
    await until(() => back.store.sm.appliedIndex() >= leader.store.sm.appliedIndex(), 10_000, "catch-up");
    expect(leader.store.node.transport.stats.snapshotsSent).toBeGreaterThan(sentBefore);
    expect(back.store.node.transport.stats.snapshotsReceived).toBeGreaterThan(0);
    const r = await back.store.list("/snap/");
    expect(r.count).toBe(300);
    expect(back.store.sm.digest()).toBe(leader.store.sm.digest());
  }, 60_000);

  it("recovers the whole cluster from disk alone after every member stopped", async () => {
    c = await startInProcessCluster(3);
    const leader = await c.waitLeader();
    const acked = await Promise.all(Array.from({ length: 50 }, (_, i) => leader.store.create(`/disk/${i}`, `v${i}`)));
    expect(acked.every((r) => r.succeeded)).toBe(true);
    const rev = await leader.store.currentRevision();
    for (const m of [...c.members]) await m.crash();
    for (const m of [...c.members]) await c.restart(m);
    const l2 = await c.waitLeader();
    const other = c.members.find((m) => m !== l2)!;
    expect((await other.store.list("/disk/")).count).toBe(50);
    expect(await other.store.currentRevision()).toBeGreaterThanOrEqual(rev);
    expect((await other.store.create("/disk/after", "x")).succeeded).toBe(true);
  }, 60_000);

  it("keeps out a member of another cluster that claims a member's ID", async () => {
    c = await startInProcessCluster(3);
    const leader = await c.waitLeader();
    const term = leader.store.node.term;
    const victim = c.members.find((m) => m !== leader)!;
    // A stray single-member cluster reusing the victim's member ID, pointed at the real members.
    let stray: RaftStore | null = null;
    const srv: Server<WsData> = Bun.serve<WsData>({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req, s) => (new URL(req.url).pathname === RAFT_PATH && stray ? stray.node.transport.accept(req, s) : new Response("", { status: 404 })),
      websocket: websocketHandlers,
    });
    try {
      stray = await RaftStore.open({
        stateDbPath: join(c.root, "stray", "state.db"),
        raftDbPath: join(c.root, "stray", "raft.db"),
        memberId: victim.id,
        clusterId: newClusterId(),
        joinSecret: "another secret",
        name: "stray",
        url: `http://127.0.0.1:${srv.port}`,
        mode: "bootstrap",
        timing: { tickMs: 20, electionTick: 10, heartbeatTick: 1 },
      });
      stray.node.transport.setPeers(new Map(c.members.filter((m) => m !== victim).map((m) => [m.id, m.url])));
      // Its heartbeats (higher terms would depose a leader) never get through.
      stray.node.rn.campaign();
      await Bun.sleep(600);
      const rejected = c.members.reduce((s, m) => s + m.store.node.transport.stats.rejected, 0);
      expect(rejected).toBeGreaterThan(0);
      expect(leader.store.node.isLeader).toBe(true);
      expect(leader.store.node.term).toBe(term);
      expect((await victim.store.create("/stray/ok", "1")).succeeded).toBe(true);
    } finally {
      await stray?.close();
      srv.stop(true);
    }
  }, 30_000);

  it("a leader cut off by the transport's fault hook is replaced, and follows when the links heal", async () => {
    c = await startInProcessCluster(3);
    const leader = await c.waitLeader();
    const others = c.members.filter((m) => m !== leader);
    for (const o of others) {
      leader.store.node.transport.block(o.id);
      o.store.node.transport.block(leader.id);
    }
    await until(() => others.some((o) => o.store.node.isLeader), 5000, "a new leader among the others");
    expect((await others[0]!.store.create("/part/w", "1")).succeeded).toBe(true);
    await until(() => !leader.store.node.isLeader, 5000, "the old leader to step down (CheckQuorum)");
    for (const o of others) {
      leader.store.node.transport.unblock(o.id);
      o.store.node.transport.unblock(leader.id);
    }
    await until(async () => (await leader.store.get("/part/w").catch(() => ({ kv: null }))).kv !== null, 5000, "the old leader to catch up");
    expect(leader.store.node.isLeader).toBe(false);
  }, 30_000);

  it("serves many concurrent linearizable reads with few ReadIndex rounds", async () => {
    c = await startInProcessCluster(3);
    const leader = await c.waitLeader();
    const f = c.members.find((m) => m !== leader)!;
    await f.store.create("/rb/a", "1");
    const before = f.store.stats().readRounds;
    const rs = await Promise.all(Array.from({ length: 200 }, () => f.store.get("/rb/a")));
    expect(rs.every((r) => r.kv?.value === "1")).toBe(true);
    expect(f.store.stats().readRounds - before).toBeLessThan(20);
  }, 30_000);

  it("a follower sees its own acknowledged write at once (read-your-writes through ReadIndex)", async () => {
    c = await startInProcessCluster(3);
    const leader = await c.waitLeader();
    const [f1, f2] = c.members.filter((m) => m !== leader) as [typeof leader, typeof leader];
    for (let i = 0; i < 20; i++) {
      const w = await f1.store.create(`/ryw/${i}`, "x");
      // Another member's linearizable read after the acknowledged write sees it.
      expect((await f2.store.get(`/ryw/${i}`)).kv?.modRevision).toBe(w.revision);
    }
  }, 30_000);

  it("removes a member: the quorum shrinks and the removed member stops", async () => {
    c = await startInProcessCluster(3);
    const leader = await c.waitLeader();
    const gone = c.members.find((m) => m !== leader)!;
    let removed = false;
    gone.store.onRemoved(() => (removed = true));
    await leader.store.removeMember(gone.id);
    expect(leader.store.node.confState.voters).toHaveLength(2);
    await until(() => removed, 5000, "the removed member to notice");
    expect(gone.store.node.isStopped).toBe(true);
    expect(leader.store.members().map((m) => m.id)).not.toContain(gone.id);
    expect((await leader.store.create("/rm/after", "1")).succeeded).toBe(true);
    // Restarted from its data dir, the removed member refuses to run.
    await gone.stop();
    await expect(c.restart(gone)).rejects.toThrow("was removed from the cluster");
  }, 30_000);

  it("leaves a second server as a learner until a third one is caught up (never 2 voters by growth)", async () => {
    c = await startInProcessCluster(1);
    const m2 = await c.add();
    await until(() => m2.store.sm.appliedIndex() >= c!.members[0]!.store.sm.appliedIndex(), 5000, "m2 caught up");
    await Bun.sleep(500); // several promotion checks
    expect(c.members[0]!.store.node.confState).toEqual({ voters: [c.members[0]!.id], learners: [m2.id] });
    // The learner serves reads and writes (forwarded to the leader).
    expect((await m2.store.create("/learner/w", "1")).succeeded).toBe(true);
    await c.add();
    await until(() => c!.members[0]!.store.node.confState.voters.length === 3, 10_000, "3 voters");
  }, 30_000);
});
