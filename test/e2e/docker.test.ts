/**
 * The docker subset of the end-to-end tests: a single `kite server` (built-in agent) on a
 * private dockerd, real kubectl. The node is Ready with a docker runtime, a Deployment
 * rolls out to a changed image, `kubectl logs -f` streams and `kubectl exec` returns exit
 * codes and passes stdin.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { R } from "../../src/client/resources.ts";
import { type E2ECluster, IMAGE_1, IMAGE_2, isReady, startE2E, streamReader, until } from "./lib.ts";

setDefaultTimeout(180_000);

let c: E2ECluster;

beforeAll(async () => {
  c = await startE2E({ engine: "docker", imageTags: ["1", "2"] });
}, 120_000);

afterAll(async () => {
  await c?.stop();
});

describe("kite server on docker", () => {
  const ns = "e2e-docker";

  test("the single node is Ready with docker as its runtime", async () => {
    const out = await c.k(["get", "nodes", "--no-headers"]);
    expect(out.trim().split(/\s+/).slice(0, 2)).toEqual([c.serverNode, "Ready"]);
    const node = await c.client.get(R.nodes, undefined, c.serverNode);
    expect(node.status.nodeInfo.containerRuntimeVersion).toMatch(/^docker:\/\//);
  });

  test("a Deployment rolls out, then rolls out a changed image", async () => {
    await c.namespace(ns);
    const manifest = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: web
        image: ${image}
        imagePullPolicy: IfNotPresent
        command: ["sh", "-c", "cat /etc/kite-test-version 2>/dev/null || echo 1; exec sleep 3600"]
`;
    const rollout = async () => {
      const st = await c.kubectl(["rollout", "status", "-n", ns, "deployment/web", "--timeout=150s"], { timeoutMs: 160_000 });
      if (st.code !== 0) throw new Error(`rollout failed: ${st.stderr}\n${await c.describe(ns)}`);
      expect(st.stdout).toContain('deployment "web" successfully rolled out');
    };
    await c.apply(ns, manifest(IMAGE_1));
    await rollout();
    let pods = await c.pods(ns, "app=web");
    expect(pods.map((p) => p.status.containerStatuses[0].containerID).every((id: string) => id.startsWith("docker://"))).toBe(true);

    await c.apply(ns, manifest(IMAGE_2));
    await rollout();
    pods = await until("two :2 pods only", async () => {
      const p = await c.pods(ns, "app=web");
      return p.length === 2 && p.every((x) => x.spec.containers[0].image === IMAGE_2 && isReady(x)) ? p : null;
    }, 60_000);
    // The containers run the new image: it prints its version file.
    for (const p of pods) expect(await c.k(["logs", "-n", ns, p.metadata.name])).toBe("2\n");
  });

  test("logs -f streams and exec returns exit codes", async () => {
    await c.apply(
      ns,
      `apiVersion: v1
kind: Pod
metadata:
  name: streamer
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: ${IMAGE_1}
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "echo waiting; while [ ! -f /tmp/go ]; do sleep 0.2; done; for i in 1 2 3; do echo tick $i; sleep 0.3; done"]
`,
    );
    const w = await c.kubectl(["wait", "-n", ns, "--for=condition=Ready", "pod/streamer", "--timeout=120s"], { timeoutMs: 130_000 });
    if (w.code !== 0) throw new Error(`pod not Ready: ${w.stderr}\n${await c.describe(ns)}`);
    const logs = c.spawnKubectl(["logs", "-f", "-n", ns, "streamer"]);
    const out = streamReader(logs.stdout);
    try {
      expect(await out.until(/waiting\n/)).toBe("waiting\n");
      expect(await c.kubectl(["exec", "-i", "-n", ns, "streamer", "--", "cat"], { stdin: "piped\n" })).toMatchObject({ code: 0, stdout: "piped\n" });
      const r = await c.kubectl(["exec", "-n", ns, "streamer", "--", "sh", "-c", "touch /tmp/go; echo bye; exit 5"]);
      expect(r).toMatchObject({ code: 5, stdout: "bye\n" });
      expect(r.stderr).toContain("command terminated with exit code 5");
      expect(await out.rest(60_000)).toBe("tick 1\ntick 2\ntick 3\n");
      expect(await logs.exited).toBe(0);
    } finally {
      logs.kill();
      await logs.exited;
    }
  });
});
