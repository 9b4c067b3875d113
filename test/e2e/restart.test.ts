/**
 * Restarts end to end on podman: `kite server` (built-in agent) plus one `kite agent`.
 * - `kite server` SIGKILLed and started again from its data dir: the running pods are the
 *   same pods (UIDs) with the same containers (IDs, no restarts), no extra pods appear, and
 *   logs/exec reach pods on both nodes again (the agent's tunnel redials the new process).
 * - `kite agent` stopped (SIGTERM) and started again: its containers keep running and are
 *   adopted, not restarted.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { KObj } from "../../src/client/client.ts";
import { R } from "../../src/client/resources.ts";
import { type E2ECluster, IMAGE_1, isReady, startE2E, until } from "./lib.ts";

setDefaultTimeout(240_000);

let c: E2ECluster;

beforeAll(async () => {
  c = await startE2E({ agents: ["a1"] });
}, 120_000);

afterAll(async () => {
  await c?.stop();
});

const ns = "e2e-restart";

/** uid → [node, containerID, restartCount] of the Ready app=steady pods. */
async function snapshot(): Promise<Record<string, [string, string, number]>> {
  const pods = (await c.pods(ns, "app=steady")).filter((p) => !p.metadata.deletionTimestamp);
  return Object.fromEntries(pods.map((p: KObj) => [p.metadata.uid, [p.spec.nodeName, p.status?.containerStatuses?.[0]?.containerID ?? "", p.status?.containerStatuses?.[0]?.restartCount ?? -1]]));
}

async function allReady(n: number) {
  return until(`${n} Ready steady pods`, async () => {
    const pods = (await c.pods(ns, "app=steady")).filter((p) => !p.metadata.deletionTimestamp);
    return pods.length === n && pods.every(isReady);
  }, 90_000);
}

describe("restarts keep the running pods", () => {
  test("setup: a Deployment on both nodes", async () => {
    await c.namespace(ns);
    await c.apply(
      ns,
      `apiVersion: apps/v1
kind: Deployment
metadata:
  name: steady
spec:
  replicas: 4
  selector:
    matchLabels: {app: steady}
  template:
    metadata:
      labels: {app: steady}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: ${IMAGE_1}
        imagePullPolicy: IfNotPresent
        command: ["sh", "-c", "echo started; exec sleep 3600"]
`,
    );
    const st = await c.kubectl(["rollout", "status", "-n", ns, "deployment/steady", "--timeout=150s"], { timeoutMs: 160_000 });
    if (st.code !== 0) throw new Error(`rollout failed: ${st.stderr}\n${await c.describe(ns)}`);
    const nodes = new Set(Object.values(await snapshot()).map(([n]) => n));
    expect(nodes).toEqual(new Set([c.serverNode, c.agents.get("a1")!.node]));
  });

  test("kite server SIGKILLed and restarted from its data dir", async () => {
    const before = await snapshot();
    await c.restartServer();
    await until("the agent's node Ready again", async () => isReady(await c.client.get(R.nodes, undefined, c.agents.get("a1")!.node)), 60_000);
    // Give the controllers and both agents time to resync, then nothing may have changed.
    await Bun.sleep(5000);
    await allReady(4);
    expect(await snapshot()).toEqual(before);
    expect((await c.pods(ns)).length).toBe(4);
    // Streaming reaches pods on both nodes again.
    for (const node of [c.serverNode, c.agents.get("a1")!.node]) {
      const pod = (await c.pods(ns, "app=steady")).find((p) => p.spec.nodeName === node)!;
      const logs = await until(`logs of ${pod.metadata.name} on ${node}`, async () => {
        const r = await c.kubectl(["logs", "-n", ns, pod.metadata.name]);
        return r.code === 0 ? r.stdout : null;
      }, 30_000);
      expect(logs).toBe("started\n");
      const r = await c.kubectl(["exec", "-n", ns, pod.metadata.name, "--", "sh", "-c", "exit 4"]);
      expect(r.code).toBe(4);
    }
  });

  test("kite agent stopped and started again adopts its containers", async () => {
    const before = await snapshot();
    const a1 = c.agents.get("a1")!;
    expect(await a1.proc.stop()).toBe(0);
    await c.restartAgent("a1");
    // The node may still look Ready from before: wait for the new process to run its pods.
    await until("the new agent running", () => c.agents.get("a1")!.proc.log().includes("node agent running"), 30_000);
    await Bun.sleep(5000);
    await allReady(4);
    expect(await snapshot()).toEqual(before);
  });
});
