/**
 * Three `kite server`s in one Raft cluster (no built-in agents) and one `kite agent` on
 * podman. A Deployment runs on the agent; `kubectl exec` and `kubectl logs` work through
 * EVERY server (the agent keeps a tunnel to each). With the agent's first server killed,
 * the agent carries on through the others: its node stays Ready, a new pod starts on it,
 * and exec still works through the remaining servers.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createRuntime } from "../../src/agent/runtime/detect.ts";
import type { ContainerRuntime } from "../../src/agent/runtime/types.ts";
import { R } from "../../src/client/resources.ts";
import { podmanTestEnv } from "../lib/container-env.ts";
import { type KiteProcess, type KiteServer, kubectlBinary, startAgent } from "../lib/kite.ts";
import { type KiteCluster, startCluster } from "../lib/kite-cluster.ts";
import { ensureTestImage } from "../lib/test-image.ts";
import { cleanupNodes, clientFor, IMAGE_1, isReady, runId, until } from "./lib.ts";

setDefaultTimeout(240_000);

let cluster: KiteCluster | null = null;
let agent: KiteProcess | null = null;
let rt: ContainerRuntime | null = null;
let cleanupPodman = () => {};
let tmp = "";
const node = `e2e-${runId()}-ha`;

beforeAll(async () => {
  tmp = mkdtempSync("/tmp/kite-e2e-ha-");
  const p = podmanTestEnv();
  cleanupPodman = p.cleanup;
  await ensureTestImage({ engine: "podman", env: p.env });
  rt = createRuntime("podman", { env: p.env });
  cluster = await startCluster(3, { env: { ...p.env, KITE_LOCAL_PATH_ROOT: join(tmp, "storage") } });
  agent = await startAgent({ server: cluster.servers[0]!, nodeName: node, env: p.env, args: ["--container-runtime", "podman"] });
  const client = clientFor(cluster.servers[0]!);
  await until(`node ${node} Ready`, async () => isReady((await client.getOrNull(R.nodes, undefined, node)) ?? undefined), 90_000);
}, 180_000);

afterAll(async () => {
  await agent?.stop();
  await cluster?.stop();
  if (rt) await cleanupNodes(rt, [node]);
  cleanupPodman();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function kubectl(server: KiteServer, args: string[]) {
  const proc = Bun.spawn([kubectlBinary(), "--kubeconfig", server.kubeconfig, "--cache-dir", join(tmp, "cache"), ...args], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const t = setTimeout(() => proc.kill("SIGKILL"), 60_000);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(t);
  return { code, stdout, stderr };
}

const deployment = (replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: ${IMAGE_1}
        imagePullPolicy: IfNotPresent
        command: ["sh", "-c", "echo hello from $(hostname); exec sleep 3600"]
`;

async function apply(server: KiteServer, manifest: string) {
  const f = join(tmp, `m-${runId()}.yaml`);
  writeFileSync(f, manifest);
  const r = await kubectl(server, ["apply", "-f", f]);
  if (r.code !== 0) throw new Error(`apply failed: ${r.stderr}`);
}

describe("streaming in an HA cluster", () => {
  test("exec and logs work through every server", async () => {
    const servers = cluster!.servers;
    await apply(servers[1]!, deployment(1));
    const client = clientFor(servers[2]!);
    const pod = await until("a Ready web pod", async () => (await client.list(R.pods, "default", { labelSelector: "app=web" })).items.find(isReady), 120_000);
    const name: string = pod.metadata.name;
    for (const [i, s] of servers.entries()) {
      const logs = await until(`logs through server ${i}`, async () => {
        const r = await kubectl(s, ["logs", name]);
        return r.code === 0 ? r.stdout : null;
      }, 30_000);
      expect(logs).toBe(`hello from ${name}\n`);
      const r = await kubectl(s, ["exec", name, "--", "sh", "-c", `echo via ${i}; exit ${10 + i}`]);
      expect(r).toMatchObject({ code: 10 + i, stdout: `via ${i}\n` });
    }
  });

  test("the agent carries on when its first server dies", async () => {
    const [first, ...rest] = cluster!.servers as [KiteServer, KiteServer, KiteServer];
    first.kill();
    await first.proc.exited;
    const client = clientFor(rest[0]);
    await cluster!.leader(30_000);
    await apply(rest[0], deployment(2));
    const pods = await until("2 Ready web pods", async () => {
      const items = (await client.list(R.pods, "default", { labelSelector: "app=web" })).items.filter(isReady);
      return items.length === 2 ? items : null;
    }, 120_000);
    // Heartbeats keep reaching a live server: the node never goes Unknown.
    const n = await client.get(R.nodes, undefined, node);
    expect(isReady(n)).toBe(true);
    for (const [i, s] of rest.entries()) {
      for (const p of pods) {
        const r = await until(`exec through server ${i + 1}`, async () => {
          const x = await kubectl(s, ["exec", p.metadata.name, "--", "sh", "-c", "exit 3"]);
          return x.code === 3 ? x : null;
        }, 30_000);
        expect(r.code).toBe(3);
      }
    }
  });
});
