/**
 * Node failure end to end on podman: `kite server` (built-in agent) plus one `kite agent`,
 * with the eviction timeouts shortened by the server's flags. A Deployment's pods run on
 * the agent (the server's node cordoned meanwhile); the agent process is SIGKILLed; its
 * node goes Unknown, its pods are evicted after the (shortened) default toleration and
 * come back on the server's node; pod GC removes the evicted pods no agent can confirm;
 * the Service's ready endpoints move with them; the DaemonSet pod stays with its node.
 * Live nodes stay Ready throughout (no flapping under the shortened grace period). The
 * agent, started again from its data dir, removes the containers it left running.
 *
 * The grace period is 20 s, not 5: agents heartbeat every 10 s (Lease and node status),
 * so a grace period under two heartbeats marks live nodes Unknown between them.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { KObj } from "../../src/client/client.ts";
import { R } from "../../src/client/resources.ts";
import { LABELS } from "../../src/agent/runtime/types.ts";
import { type E2ECluster, IMAGE_1, isReady, startE2E, until } from "./lib.ts";

setDefaultTimeout(240_000);

const GRACE_S = 20;
const TOLERATION_S = 5;

let c: E2ECluster;

beforeAll(async () => {
  c = await startE2E({
    agents: ["a1"],
    serverArgs: ["--node-monitor-grace-period", String(GRACE_S), "--default-unreachable-toleration-seconds", String(TOLERATION_S)],
  });
}, 120_000);

afterAll(async () => {
  await c?.stop();
});

/** Records every Ready status a node reports (watch), to check that it never flaps. */
function watchNodeReady(node: string) {
  const abort = new AbortController();
  const seen: string[] = [];
  const done = (async () => {
    const n = await c.client.get(R.nodes, undefined, node);
    const first = ((n.status?.conditions ?? []) as KObj[]).find((x) => x.type === "Ready")?.status;
    if (first) seen.push(first);
    let rv: string = n.metadata.resourceVersion;
    for await (const ev of c.client.watch(R.nodes, undefined, { fieldSelector: `metadata.name=${node}`, resourceVersion: rv }, abort.signal)) {
      rv = ev.object.metadata?.resourceVersion ?? rv;
      const st = ((ev.object.status?.conditions ?? []) as KObj[]).find((x) => x.type === "Ready")?.status;
      if (st && seen.at(-1) !== st) seen.push(st);
    }
  })().catch(() => {});
  return {
    seen,
    async stop() {
      abort.abort();
      await done;
    },
  };
}

describe("killing an agent", () => {
  const ns = "e2e-failover";

  test("its pods reappear on another agent", async () => {
    const a1 = c.agents.get("a1")!;
    const serverReady = watchNodeReady(c.serverNode);
    const agentReady = watchNodeReady(a1.node);
    await c.namespace(ns);
    await c.k(["cordon", c.serverNode]);
    await c.apply(
      ns,
      `apiVersion: apps/v1
kind: Deployment
metadata:
  name: mover
spec:
  replicas: 2
  selector:
    matchLabels: {app: mover}
  template:
    metadata:
      labels: {app: mover}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: ${IMAGE_1}
        imagePullPolicy: IfNotPresent
        command: ["sleep", "3600"]
---
apiVersion: v1
kind: Service
metadata:
  name: mover
spec:
  selector: {app: mover}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agentd
spec:
  selector:
    matchLabels: {app: agentd}
  template:
    metadata:
      labels: {app: agentd}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: ${IMAGE_1}
        imagePullPolicy: IfNotPresent
        command: ["sleep", "3600"]
`,
    );
    const st = await c.kubectl(["rollout", "status", "-n", ns, "deployment/mover", "--timeout=120s"], { timeoutMs: 130_000 });
    const ds = await c.kubectl(["rollout", "status", "-n", ns, "daemonset/agentd", "--timeout=120s"], { timeoutMs: 130_000 });
    if (ds.code !== 0) throw new Error(`daemonset rollout failed: ${ds.stderr}\n${await c.describe(ns)}`);
    const dsPodOnA1 = (await c.pods(ns, "app=agentd")).find((p) => p.spec.nodeName === a1.node)!;
    if (st.code !== 0) throw new Error(`rollout failed: ${st.stderr}\n${await c.describe(ns)}`);
    const before = await c.pods(ns, "app=mover");
    expect(before.map((p) => p.spec.nodeName)).toEqual([a1.node, a1.node]);
    // The admission plugin gave the pods the shortened default toleration.
    expect(before[0]!.spec.tolerations).toContainEqual({ key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: TOLERATION_S });
    await c.k(["uncordon", c.serverNode]);

    await agentReady.stop();
    // With the shortened grace period, live nodes must still not flap.
    expect(agentReady.seen).toEqual(["True"]);
    const killedAt = Date.now();
    a1.proc.kill(); // SIGKILL: no goodbye, the containers keep running on the engine
    await a1.proc.proc.exited;
    try {
      await until(`node ${a1.node} Unknown`, async () => {
        const n = await c.client.get(R.nodes, undefined, a1.node);
        return ((n.status.conditions ?? []) as KObj[]).find((x) => x.type === "Ready")?.status === "Unknown";
      }, 60_000);
      const unknownAfter = Date.now() - killedAt;
      // Streaming to the dead node fails at once with a clear error (no hang).
      const t0 = Date.now();
      const exec = await c.kubectl(["exec", "-n", ns, dsPodOnA1.metadata.name, "--", "true"], { timeoutMs: 30_000 });
      expect(exec.code).toBe(1);
      expect(exec.stderr).toContain(`the agent of node "${a1.node}" is not connected`);
      expect(Date.now() - t0).toBeLessThan(15_000);
      // The dead node's pods are no longer ready endpoints of the Service.
      const oldIPs = before.map((p) => p.status.podIP as string);
      await until("the dead node's pods out of the Service's ready addresses", async () => {
        const ep = await c.client.get(R.endpoints, ns, "mover");
        const ready = ((ep.subsets ?? []) as KObj[]).flatMap((s) => (s.addresses ?? []).map((a: KObj) => a.ip));
        return ready.every((ip) => !oldIPs.includes(ip));
      }, 60_000);
      const moved = await until("2 Ready mover pods on the server's node", async () => {
        const pods = (await c.pods(ns, "app=mover")).filter((p) => !p.metadata.deletionTimestamp && p.spec.nodeName === c.serverNode && isReady(p));
        return pods.length === 2 ? pods : null;
      }, 120_000).catch(async (e) => {
        throw new Error(`${(e as Error).message}\n${await c.describe(ns)}`);
      });
      const movedAfter = Date.now() - killedAt;
      const since = (iso: string) => Date.parse(iso) - killedAt;
      const created = moved.map((p) => since(p.metadata.creationTimestamp));
      const ready = moved.map((p) => since(((p.status.conditions ?? []) as KObj[]).find((x) => x.type === "Ready")!.lastTransitionTime));
      console.log(`after the kill (ms): node Unknown ${unknownAfter}, replacements created ${created}, Ready ${ready}, seen ${movedAfter}`);
      expect(moved.length).toBe(2);
      const node = await c.client.get(R.nodes, undefined, a1.node);
      expect((node.spec.taints ?? []).map((t: KObj) => `${t.key}:${t.effect}`)).toContain("node.kubernetes.io/unreachable:NoExecute");
      // The evicted pods cannot be confirmed by their agent: pod GC deletes them.
      await until("the evicted pods gone", async () => (await c.pods(ns, "app=mover")).every((p) => p.spec.nodeName !== a1.node), 60_000);
      expect((await c.pods(ns, "app=mover")).length).toBe(2);
      // The Service now points at the replacements.
      const newIPs = moved.map((p) => p.status.podIP as string).sort();
      await until("the Service's ready addresses are the replacements", async () => {
        const ep = await c.client.get(R.endpoints, ns, "mover");
        const ready = ((ep.subsets ?? []) as KObj[]).flatMap((s) => (s.addresses ?? []).map((a: KObj) => a.ip)).sort();
        return JSON.stringify(ready) === JSON.stringify(newIPs);
      }, 30_000);
      // A DaemonSet pod tolerates the unreachable taint: it stays with its node.
      const dsPod = await c.client.getOrNull(R.pods, ns, dsPodOnA1.metadata.name);
      expect(dsPod?.metadata.uid).toBe(dsPodOnA1.metadata.uid);
      expect(dsPod?.metadata.deletionTimestamp).toBeUndefined();
    } finally {
      await serverReady.stop();
    }
    // The surviving node never stopped being Ready.
    expect(serverReady.seen.filter((s) => s !== "True")).toEqual([]);


    // The killed agent left its containers running on the engine.
    const left = async () => (await c.runtime.listContainers({ [LABELS.nodeName]: a1.node, [LABELS.podNamespace]: ns })).filter((x) => x.state === "running" && x.labels[LABELS.podName]?.startsWith("mover-")).length;
    expect(await left()).toBe(2);
    // Back from its data dir, the agent finds their pods gone and stops them.
    await c.restartAgent("a1");
    await until("the old containers stopped", async () => (await left()) === 0, 60_000);
    await until(`the unreachable taint lifted from ${a1.node}`, async () => {
      const n = await c.client.get(R.nodes, undefined, a1.node);
      return !(n.spec.taints ?? []).some((t: KObj) => t.key === "node.kubernetes.io/unreachable");
    }, 60_000);
    expect((await c.pods(ns, "app=mover")).map((p) => p.spec.nodeName)).toEqual([c.serverNode, c.serverNode]);
    // The DaemonSet pod it kept is Ready again, same pod, same container.
    await until("the DaemonSet pod Ready again", async () => isReady((await c.client.get(R.pods, ns, dsPodOnA1.metadata.name)) ?? undefined), 60_000);
    const dsAfter = await c.client.get(R.pods, ns, dsPodOnA1.metadata.name);
    expect(dsAfter.status.containerStatuses[0].containerID).toBe(dsPodOnA1.status.containerStatuses[0].containerID);
  });
});
