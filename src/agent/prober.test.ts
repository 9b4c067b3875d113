import { expect, test } from "bun:test";
import type { KObj } from "../client/client.ts";
import { Prober, type ProbeContainer } from "./prober.ts";
import type { ProbeOutcome, ProbeTarget } from "./probes.ts";

function setup(outcomes: Record<string, ProbeStatusFn>) {
  const changes: string[] = [];
  const failures: string[] = [];
  const runs: string[] = [];
  const prober = new Prober({
    async run(probe: KObj) {
      const key = probe.exec.command[0] as string;
      runs.push(key);
      return outcomes[key]!();
    },
    target: () => ({ containerId: "cid1" }) as ProbeTarget,
    onChange: (uid) => changes.push(uid),
    onFailure: (_uid, c, kind, msg) => failures.push(`${c}/${kind}: ${msg}`),
  });
  return { prober, changes, failures, runs };
}
type ProbeStatusFn = () => ProbeOutcome;
const ok: ProbeStatusFn = () => ({ status: "success", message: "" });
const bad: ProbeStatusFn = () => ({ status: "failure", message: "boom" });
const probe = (cmd: string, extra: KObj = {}) => ({ exec: { command: [cmd] }, periodSeconds: 1, ...extra });
const container = (spec: KObj, startedAt = Date.now(), reported?: ProbeContainer["reported"]): ProbeContainer => ({ name: "c", spec, containerId: "cid1", startedAt, reported });

test.concurrent("readiness starts failed, passes after successThreshold, fails after failureThreshold", async () => {
  let state = ok;
  const { prober, changes } = setup({ r: () => state() });
  prober.sync("u", [container({ readinessProbe: probe("r", { successThreshold: 1, failureThreshold: 2 }) })]);
  expect(prober.result("u", "c", "readiness", "cid1")).toBe("failure");
  await Bun.sleep(100);
  expect(prober.result("u", "c", "readiness", "cid1")).toBe("success");
  state = bad;
  await Bun.sleep(1100);
  expect(prober.result("u", "c", "readiness", "cid1")).toBe("success"); // one failure < threshold 2
  await Bun.sleep(1000);
  expect(prober.result("u", "c", "readiness", "cid1")).toBe("failure");
  expect(changes).toEqual(["u", "u"]);
  prober.stopAll();
}, 10_000);

test.concurrent("initialDelaySeconds is honoured; liveness failure pauses the worker until the container changes", async () => {
  const { prober, runs, failures } = setup({ l: bad });
  prober.sync("u", [container({ livenessProbe: probe("l", { initialDelaySeconds: 1, failureThreshold: 1 }) })]);
  await Bun.sleep(500);
  expect(runs).toEqual([]);
  expect(prober.result("u", "c", "liveness", "cid1")).toBe("success");
  await Bun.sleep(700);
  expect(prober.result("u", "c", "liveness", "cid1")).toBe("failure");
  expect(failures).toEqual(["c/liveness: boom"]);
  await Bun.sleep(1100);
  expect(runs.length).toBe(1); // paused
  prober.sync("u", [{ ...container({ livenessProbe: probe("l", { failureThreshold: 1 }) }), containerId: "cid2" }]);
  expect(prober.result("u", "c", "liveness", "cid2")).toBe("success");
  prober.stopAll();
  expect(prober.size).toBe(0);
}, 10_000);

test.concurrent("liveness and readiness wait for the startup probe; adopted containers keep reported readiness", async () => {
  let startup = bad;
  const { prober, runs } = setup({ s: () => startup(), r: ok });
  prober.sync("u", [container({ startupProbe: probe("s", { failureThreshold: 10 }), readinessProbe: probe("r") })]);
  await Bun.sleep(1200);
  expect(runs.filter((r) => r === "r").length).toBe(0);
  startup = ok;
  await Bun.sleep(2200);
  expect(prober.result("u", "c", "startup", "cid1")).toBe("success");
  expect(runs.filter((r) => r === "r").length).toBeGreaterThan(0);
  prober.stopPod("u");

  const b = setup({ r: bad });
  b.prober.sync("u", [container({ readinessProbe: probe("r", { initialDelaySeconds: 60 }) }, Date.now(), { ready: true })]);
  expect(b.prober.result("u", "c", "readiness", "cid1")).toBe("success");
  b.prober.stopAll();
}, 10_000);
