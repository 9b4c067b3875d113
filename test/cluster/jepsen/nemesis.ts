/**
 * @module test/cluster/jepsen/nemesis
 * The fault schedule: a seeded list of steps (kill, pause, partitions), each a fault window
 * followed by a recovery window, generated up front so that one printed seed replays the
 * same sequence. Whom a step hits ("the leader" or a random server) is resolved when it runs.
 *
 * Steps:
 * - kill: SIGKILL, then restart from the data dir;
 * - kill-all: SIGKILL every server at once, then restart them all (every acknowledged write
 *   must come back from the disks);
 * - kill-isolated: cut the target off, SIGKILL it, restart it while still cut off, then heal
 *   (an isolated leader's log holds entries that never committed; they must vanish);
 * - pause: SIGSTOP, then SIGCONT (a stale leader wakes up believing it still leads);
 * - isolate: cut both directions between the target and the others;
 * - leader-mute: the leader's messages to the others are lost, theirs reach it (one-way);
 * - leader-deaf: the others' messages to the leader are lost, its messages reach them (one-way);
 * - bridge: the target and one other server cannot talk; the third talks to both.
 * Partitions either drop packets (TCP retransmits after the heal) or reset connections.
 */
import type { BlockMode, Network } from "./network.ts";
import type { Prng } from "./prng.ts";
import type { JepsenCluster, JepsenServer } from "./servers.ts";

export type StepKind = "kill" | "kill-all" | "kill-isolated" | "pause" | "isolate" | "leader-mute" | "leader-deaf" | "bridge";

export interface Step {
  kind: StepKind;
  /** Hit the current leader (else a random server). */
  leader: boolean;
  mode: BlockMode;
  faultMs: number;
  recoverMs: number;
  /** Random choices made at run time come from this. */
  salt: number;
}

export interface ScheduleOptions {
  /** Number of steps to generate (runSchedule stops at its deadline, usually sooner). */
  steps: number;
  /** Whether the network can block one direction only. */
  oneWay: boolean;
  faultMs?: [number, number];
  recoverMs?: [number, number];
}

export function makeSchedule(rng: Prng, o: ScheduleOptions): Step[] {
  const kinds: StepKind[] = ["kill", "kill", "kill-all", "kill-isolated", "pause", "isolate", "isolate", "bridge", ...(o.oneWay ? (["leader-mute", "leader-deaf"] as const) : [])];
  const [f0, f1] = o.faultMs ?? [2000, 5000];
  const [r0, r1] = o.recoverMs ?? [1500, 3500];
  let lastKillAll = -Infinity;
  return Array.from({ length: o.steps }, (_, i) => {
    let kind = rng.pick(kinds);
    // At most one whole-cluster crash per 20 steps: its restart is slow on a loaded machine.
    if (kind === "kill-all" && i - lastKillAll < 20) kind = "kill";
    if (kind === "kill-all") lastKillAll = i;
    return {
      kind,
      leader: kind === "leader-mute" || kind === "leader-deaf" || rng.chance(0.65),
      mode: o.oneWay && rng.chance(0.5) ? "reset" : "drop",
      faultMs: rng.int(f0, f1),
      recoverMs: rng.int(r0, r1),
      salt: rng.int(0, 2 ** 30),
    };
  });
}

export function describeStep(s: Step): string {
  const partition = s.kind === "isolate" || s.kind === "kill-isolated" || s.kind === "bridge" || s.kind.startsWith("leader-");
  return `${s.kind}(${s.leader ? "leader" : "random"}${partition ? `, ${s.mode}` : ""}) ${s.faultMs} ms, then ${s.recoverMs} ms`;
}

export interface NemesisContext {
  cluster: JepsenCluster;
  network: Network;
  rng: Prng;
  /** Records a timeline line (the harness stamps it). */
  log(line: string): void;
  /** True once the run must end early (e.g. the test is failing). */
  aborted(): boolean;
}

async function pickTarget(ctx: NemesisContext, step: Step, rng: Prng): Promise<{ target: JepsenServer; role: string }> {
  if (step.leader) {
    const l = await ctx.cluster.leader(2000);
    if (l) return { target: l, role: "leader" };
  }
  const live = ctx.cluster.servers.filter((s) => s.alive && !s.paused);
  return { target: rng.pick(live.length ? live : ctx.cluster.servers), role: "random" };
}

/** Undo every fault: heal the network, resume paused servers, restart dead ones. */
export async function healAll(ctx: Pick<NemesisContext, "cluster" | "network" | "log">): Promise<void> {
  await ctx.network.heal();
  for (const s of ctx.cluster.servers) {
    if (s.paused) s.resume();
    if (!s.alive) ctx.cluster.restart(s);
  }
  ctx.log("heal all");
}

/** Waits until every server answers /readyz (at most `timeoutMs`); returns whether they all did. */
export async function waitAllReady(cluster: JepsenCluster, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ready = await Promise.all(cluster.servers.map((s) => s.ready(1500)));
    if (ready.every(Boolean)) return true;
    await Bun.sleep(200);
  }
  return false;
}

/** Who each live server follows now (evidence in the timeline that a fault took effect). */
async function views(ctx: NemesisContext): Promise<string> {
  const parts = await Promise.all(
    ctx.cluster.servers.map(async (s) => {
      if (!s.alive) return `${s.name}: down`;
      if (s.paused) return `${s.name}: paused`;
      try {
        const lead = (await s.members(1000)).find((m) => m.isLeader);
        return `${s.name}: ${lead ? (ctx.cluster.servers.find((x) => x.url === lead.url)?.name ?? lead.name) : "no leader"}`;
      } catch {
        return `${s.name}: no answer`;
      }
    }),
  );
  return `leaders seen: ${parts.join(", ")}`;
}

/** Sleeps through a fault window, then logs who leads according to whom. */
async function hold(ctx: NemesisContext, ms: number): Promise<void> {
  await Bun.sleep(Math.max(0, ms - 1000));
  ctx.log(await views(ctx));
  await Bun.sleep(Math.min(ms, 1000));
}

export async function runStep(ctx: NemesisContext, step: Step): Promise<void> {
  const rng = ctx.rng.fork(step.salt);
  const { target, role } = await pickTarget(ctx, step, rng);
  const others = ctx.cluster.servers.filter((s) => s !== target);
  const net = ctx.network;
  switch (step.kind) {
    case "kill":
      await target.kill();
      ctx.log(`SIGKILL ${target.name} (${role})`);
      await hold(ctx, step.faultMs);
      ctx.cluster.restart(target);
      ctx.log(`restart ${target.name}`);
      break;
    case "kill-all":
      await Promise.all(ctx.cluster.servers.map((s) => s.kill()));
      ctx.log("SIGKILL every server");
      await Bun.sleep(Math.min(step.faultMs, 2000));
      for (const s of ctx.cluster.servers) ctx.cluster.restart(s);
      ctx.log("restart every server");
      break;
    case "kill-isolated": {
      for (const o of others) {
        await net.block(target, o, step.mode);
        await net.block(o, target, step.mode);
      }
      ctx.log(`isolate ${target.name} (${role}): ${net.describe()}`);
      await Bun.sleep(step.faultMs / 2);
      await target.kill();
      ctx.log(`SIGKILL ${target.name}`);
      ctx.cluster.restart(target);
      // (With the fault endpoint the restarted server forgot its own blocks; the others' still cut it off.)
      ctx.log(`restart ${target.name} (still cut off)`);
      await hold(ctx, step.faultMs / 2 + 2000);
      await net.heal();
      ctx.log("heal");
      break;
    }
    case "pause":
      target.pause();
      ctx.log(`SIGSTOP ${target.name} (${role})`);
      await hold(ctx, step.faultMs);
      target.resume();
      ctx.log(`SIGCONT ${target.name}`);
      break;
    case "isolate":
      for (const o of others) {
        await net.block(target, o, step.mode);
        await net.block(o, target, step.mode);
      }
      ctx.log(`isolate ${target.name} (${role}): ${net.describe()}`);
      await hold(ctx, step.faultMs);
      await net.heal();
      ctx.log("heal");
      break;
    case "leader-mute":
      for (const o of others) await net.block(target, o, step.mode);
      ctx.log(`mute ${target.name} (${role}): ${net.describe()}`);
      await hold(ctx, step.faultMs);
      await net.heal();
      ctx.log("heal");
      break;
    case "leader-deaf":
      for (const o of others) await net.block(o, target, step.mode);
      ctx.log(`deafen ${target.name} (${role}): ${net.describe()}`);
      await hold(ctx, step.faultMs);
      await net.heal();
      ctx.log("heal");
      break;
    case "bridge": {
      const other = rng.pick(others);
      await net.block(target, other, step.mode);
      await net.block(other, target, step.mode);
      ctx.log(`bridge: cut ${target.name} (${role}) from ${other.name}: ${net.describe()}`);
      await hold(ctx, step.faultMs);
      await net.heal();
      ctx.log("heal");
      break;
    }
  }
}

/**
 * Runs the steps in order until `deadline` (Date.now() ms) or an abort: each step's fault,
 * then a recovery window (restarted servers get up to 10 s more to be ready first). The
 * harness heals everything afterwards.
 */
export async function runSchedule(ctx: NemesisContext, steps: readonly Step[], deadline: number): Promise<number> {
  let done = 0;
  for (const step of steps) {
    if (ctx.aborted() || Date.now() >= deadline) break;
    await runStep(ctx, step);
    done++;
    await waitAllReady(ctx.cluster, Math.max(0, Math.min(step.recoverMs + 10_000, deadline - Date.now())));
    await Bun.sleep(step.recoverMs);
  }
  return done;
}
