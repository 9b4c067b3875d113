/**
 * @module test/cluster/jepsen/harness
 * One fault-test run: a 3-server kite cluster of real processes, concurrent clients
 * (client.ts) recording a history while a nemesis injects faults, then a full heal, a
 * settling period, final reads of every key on every server, and the verdicts:
 * linearizability of the history (per key, test/lib/linearizability), the cross-key
 * revision order (revisions.ts), and agreement of the final reads. A failing run leaves a
 * report directory (history.json, result.txt, revisions.txt, timeline.txt, server logs).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { History, formatCheckResult, saveFailureReport } from "../../lib/history.ts";
import { kvModel, type CheckResult, type KvInput, type KvOutput, type KvState } from "../../lib/linearizability/index.ts";
import { Worker, type Workload } from "./client.ts";
import { HookNetwork, IptablesNetwork, NetworkUnavailableError, type Network } from "./network.ts";
import { healAll, waitAllReady, type NemesisContext } from "./nemesis.ts";
import { Prng } from "./prng.ts";
import { RevisionLog, type RevisionViolation } from "./revisions.ts";
import { JepsenCluster } from "./servers.ts";

export interface ScenarioOptions {
  name: string;
  seed: number;
  workers: number;
  keys: number;
  /** "auto": iptables partitions when the host allows, else kite's fault endpoint. */
  network: "auto" | "hook";
  env?: Record<string, string>;
  envFor?: (index: number) => Record<string, string>;
  /** Runs while the clients run; must heal what it broke (runSchedule does). */
  nemesis(ctx: NemesisContext): Promise<void>;
  /** Clients keep running this long after the nemesis ends and every server is ready. */
  settleMs: number;
  requestTimeoutMs?: number;
  thinkMs?: number;
  checkTimeoutMs?: number;
  /** Save a report directory when a verdict fails (default true). */
  reportOnFailure?: boolean;
}

export interface ScenarioResult {
  seed: number;
  network: Network["kind"];
  history: History<KvInput, KvOutput>;
  check: CheckResult<KvState, KvInput, KvOutput>;
  checkText: string;
  revisionViolations: RevisionViolation[];
  /** Keys whose final reads differ between servers (or that no server could read). */
  disagreements: string[];
  timeline: string[];
  ops: number;
  /** The nemesis itself failed (the run's faults are incomplete). */
  nemesisError?: Error;
  reportDir?: string;
  ok: boolean;
}

function openNetwork(kind: ScenarioOptions["network"], size: number, log: (l: string) => void): IptablesNetwork | null {
  if (kind === "hook") return null;
  try {
    return IptablesNetwork.create(size);
  } catch (e) {
    if (!(e instanceof NetworkUnavailableError)) throw e;
    log(`iptables partitions unavailable (${e.message}); using kite's fault endpoint (no one-way blocks)`);
    return null;
  }
}

export async function runScenario(o: ScenarioOptions): Promise<ScenarioResult> {
  const timeline: string[] = [];
  const revisions = new RevisionLog();
  const history = new History<KvInput, KvOutput>();
  const log = (line: string) => {
    const l = `[${(revisions.now() / 1000).toFixed(2).padStart(7)} s] ${line}`;
    timeline.push(l);
    console.log(`jepsen ${o.name}: ${l}`);
  };
  const size = 3;
  const ipt = openNetwork(o.network, size, log);
  let cluster: JepsenCluster | undefined;
  try {
    cluster = await JepsenCluster.start({ size, env: { KITE_TEST_FAULTS: "1", ...o.env }, envFor: o.envFor, cgroupParent: ipt?.cgroupParent ?? null });
    const c = cluster;
    const network: Network = ipt ?? new HookNetwork(c);
    log(`cluster up (${c.servers.map((s) => `${s.name}=${s.memberId}@${s.port}`).join(", ")}); partitions through ${network.kind}`);

    const keys = Array.from({ length: o.keys }, (_, i) => `jk-${i}`);
    const workload: Workload = { keys, history, revisions, requestTimeoutMs: o.requestTimeoutMs ?? 6000, thinkMs: o.thinkMs ?? 10 };
    const root = new Prng(o.seed);
    const workers = Array.from({ length: o.workers }, (_, i) => new Worker(i, workload, root.fork(1000 + i), c.servers[i % size]!, () => c.servers));
    let stopClients = false;
    const running = workers.map((w) => w.run(() => stopClients));

    let nemesisError: Error | undefined;
    const ctx: NemesisContext = { cluster: c, network, rng: root.fork(1), log, aborted: () => nemesisError !== undefined };
    try {
      await o.nemesis(ctx);
    } catch (e) {
      // A harness failure (e.g. an iptables command): still check and report what was recorded.
      nemesisError = e instanceof Error ? e : new Error(String(e));
      log(`nemesis failed: ${nemesisError.stack ?? nemesisError.message}`);
    } finally {
      await healAll(ctx);
      const ready = await waitAllReady(c, 30_000);
      log(ready ? "all servers ready" : "not every server is ready after 30 s");
      await Bun.sleep(o.settleMs);
      stopClients = true;
      await Promise.all(running);
      log(`clients stopped after ${workers.reduce((n, w) => n + w.ops, 0)} requests`);
    }

    // Final reads: every key on every server, recorded in the history (so a lost acknowledged write shows as Illegal).
    const finals = new Map<string, string[]>();
    const reader = new Worker(1000, workload, root.fork(999), c.servers[0]!, () => c.servers);
    for (const s of c.servers) {
      const deadline = Date.now() + 20_000; // for all of this server's keys
      for (const key of keys) {
        let got: KvOutput | undefined;
        while (!got && Date.now() < deadline) {
          got = await reader.read(s, key, 1000 + s.index);
          if (!got) await Bun.sleep(200);
        }
        const text = got === undefined ? "unreadable" : got.type === "found" ? `${got.value}@${got.rv}` : "absent";
        finals.set(key, [...(finals.get(key) ?? []), `${s.name}: ${text}`]);
      }
    }
    const disagreements: string[] = [];
    for (const [key, views] of finals) {
      const values = new Set(views.map((v) => v.slice(v.indexOf(": ") + 2)));
      if (values.size !== 1 || values.has("unreadable")) disagreements.push(`${key}: ${views.join("; ")}`);
    }
    log(`final state: ${[...finals].map(([k, v]) => `${k}=${v[0]!.slice(v[0]!.indexOf(": ") + 2)}`).join(" ")}`);

    const count = (re: RegExp) => c.servers.reduce((n, s) => n + (s.log().match(re)?.length ?? 0), 0);
    log(`servers: ${count(/ raft became leader /g)} elections won, ${count(/ received snapshot /g)} snapshots installed, ${count(/incarnation \d+ exited/g)} exits`);

    const model = kvModel({ writeCreates: false });
    const check = history.check(model, { timeoutMs: o.checkTimeoutMs ?? 60_000 });
    const checkText = formatCheckResult(check, model);
    const revisionViolations = revisions.check();
    const ops = history.operations();
    const unknown = ops.filter((op) => op.return === Infinity).length;
    log(`linearizability: ${check.ok} (${ops.length} ops, ${unknown} of unknown outcome, ${check.elapsedMs.toFixed(0)} ms); revision order: ${revisionViolations.length} violations; final reads: ${disagreements.length ? "DISAGREE" : "agree"}`);
    const ok = check.ok === "Ok" && revisionViolations.length === 0 && disagreements.length === 0 && nemesisError === undefined;
    const result: ScenarioResult = { seed: o.seed, network: network.kind, history, check, checkText, revisionViolations, disagreements, timeline, ops: ops.length, nemesisError, ok };
    if (!ok && o.reportOnFailure !== false) {
      const dir = mkdtempSync(`/tmp/kite-jepsen-report-${o.name}-`);
      await saveFailureReport(dir, history, check, model);
      writeFileSync(join(dir, "revisions.txt"), revisionViolations.map((v) => v.message).join("\n") + "\n");
      writeFileSync(join(dir, "timeline.txt"), [`seed ${o.seed} (replay: KITE_JEPSEN_SEED=${o.seed})`, ...timeline, "", "final reads:", ...[...finals].flatMap(([k, v]) => v.map((x) => `${k} ${x}`))].join("\n") + "\n");
      c.saveLogs(dir);
      result.reportDir = dir;
      console.log(`jepsen ${o.name}: FAILED (seed ${o.seed}); report in ${dir}`);
    }
    return result;
  } finally {
    await cluster?.stop();
    await ipt?.close();
  }
}
