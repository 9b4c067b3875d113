/**
 * Deployments end to end on podman: `kite server` (built-in agent) plus one `kite agent`,
 * real containers, real kubectl. A Deployment rolls out (`rollout status`), a changed image
 * (test image :1 → :2, a different image) rolls out with maxUnavailable honoured (checked
 * on every pod event in store order, not on the controller's own status), and `rollout
 * undo` returns to the previous revision (the running containers are the :1 image again).
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { KObj } from "../../src/client/client.ts";
import { R } from "../../src/client/resources.ts";
import { type E2ECluster, IMAGE_1, IMAGE_2, isReady, startE2E, until, watchPods } from "./lib.ts";

setDefaultTimeout(240_000);

let c: E2ECluster;

beforeAll(async () => {
  c = await startE2E({ agents: ["a1"], imageTags: ["1", "2"] });
}, 180_000);

afterAll(async () => {
  await c?.stop();
});

const deployment = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: 1, maxSurge: 0}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: web
        image: ${image}
        imagePullPolicy: IfNotPresent
        command: ["sh", "-c", "touch /tmp/ready; exec sleep 3600"]
        readinessProbe:
          exec: {command: ["test", "-f", "/tmp/ready"]}
          periodSeconds: 1
          timeoutSeconds: 10
`;

/** Images of the pods of app=web that are Ready and not being deleted. */
async function readyImages(ns: string): Promise<string[]> {
  return (await c.pods(ns, "app=web")).filter((p) => !p.metadata.deletionTimestamp && isReady(p)).map((p) => p.spec.containers[0].image);
}

/** What the running container says its image is: the version file exists only in :2. */
async function versionInPod(ns: string, pod: string): Promise<string> {
  const r = await c.kubectl(["exec", "-n", ns, pod, "--", "sh", "-c", "cat /etc/kite-test-version 2>/dev/null || echo 1"]);
  if (r.code !== 0) throw new Error(`exec in ${pod}: ${r.stderr}`);
  return r.stdout.trim();
}

describe("Deployment on real containers", () => {
  const ns = "e2e-deploy";

  test("rolls out; rollout status reports completion", async () => {
    await c.namespace(ns);
    await c.apply(ns, deployment(IMAGE_1));
    const st = await c.kubectl(["rollout", "status", "-n", ns, "deployment/web", "--timeout=150s"], { timeoutMs: 160_000 });
    if (st.code !== 0) throw new Error(`rollout status failed: ${st.stderr}\n${await c.describe(ns)}`);
    expect(st.stdout).toContain('deployment "web" successfully rolled out');
    expect(await readyImages(ns)).toEqual([IMAGE_1, IMAGE_1, IMAGE_1]);
    const pods = await c.pods(ns, "app=web");
    // Real containers: every pod has an IP and a container ID from the engine.
    for (const p of pods) {
      expect(p.status.podIP).toBeTruthy();
      expect(p.status.containerStatuses[0].containerID).toMatch(/^podman:\/\/[0-9a-f]{12,}/);
    }
    expect(await versionInPod(ns, pods[0]!.metadata.name)).toBe("1");
  });

  test("a changed image rolls out with maxUnavailable honoured", async () => {
    // replicas 3, maxUnavailable 1, maxSurge 0: at every moment at least 2 Ready pods
    // that are not being deleted, and never more than 3 pods not being deleted.
    const watch = watchPods(c.client, ns, "app=web", (pods) => {
      const live = pods.filter((p) => !p.metadata.deletionTimestamp);
      const ready = live.filter(isReady).length;
      if (ready < 2) return `only ${ready} ready: ${live.map((p) => `${p.metadata.name}:${isReady(p)}`).join(",")}`;
      if (live.length > 3) return `${live.length} live pods (surge 0)`;
      return null;
    });
    try {
      await c.k(["set", "image", "-n", ns, "deployment/web", `web=${IMAGE_2}`]);
      const st = await c.kubectl(["rollout", "status", "-n", ns, "deployment/web", "--timeout=150s"], { timeoutMs: 160_000 });
      if (st.code !== 0) throw new Error(`rollout status failed: ${st.stderr}\n${await c.describe(ns)}`);
      expect(st.stdout).toContain('deployment "web" successfully rolled out');
    } finally {
      await watch.stop();
    }
    expect(watch.violations).toEqual([]);
    expect(watch.events()).toBeGreaterThan(6);
    await until("only :2 pods left", async () => (await c.pods(ns, "app=web")).every((p) => p.spec.containers[0].image === IMAGE_2) && (await c.pods(ns, "app=web")).length === 3, 60_000);
    expect(await readyImages(ns)).toEqual([IMAGE_2, IMAGE_2, IMAGE_2]);
    const pods = await c.pods(ns, "app=web");
    expect(await versionInPod(ns, pods[0]!.metadata.name)).toBe("2");
    const rs = ((await c.client.list(R.replicasets, ns)).items as KObj[]).map((r) => [r.metadata.annotations["deployment.kubernetes.io/revision"], r.spec.template.spec.containers[0].image, r.spec.replicas]);
    expect(rs.sort()).toEqual([
      ["1", IMAGE_1, 0],
      ["2", IMAGE_2, 3],
    ]);
  });

  test("rollout undo returns to the previous revision", async () => {
    const hist = await c.k(["rollout", "history", "-n", ns, "deployment/web"]);
    expect(hist).toMatch(/^1\s/m);
    expect(hist).toMatch(/^2\s/m);
    await c.k(["rollout", "undo", "-n", ns, "deployment/web"]);
    const st = await c.kubectl(["rollout", "status", "-n", ns, "deployment/web", "--timeout=150s"], { timeoutMs: 160_000 });
    if (st.code !== 0) throw new Error(`rollout status failed: ${st.stderr}\n${await c.describe(ns)}`);
    await until("only :1 pods left", async () => {
      const pods = await c.pods(ns, "app=web");
      return pods.length === 3 && pods.every((p) => p.spec.containers[0].image === IMAGE_1 && isReady(p) && !p.metadata.deletionTimestamp);
    }, 60_000);
    const dep = await c.client.get(R.deployments, ns, "web");
    // The undo re-uses revision 1's template under a new revision number (3).
    expect(dep.metadata.annotations["deployment.kubernetes.io/revision"]).toBe("3");
    expect(dep.spec.template.spec.containers[0].image).toBe(IMAGE_1);
    const pods = await c.pods(ns, "app=web");
    expect(await versionInPod(ns, pods[0]!.metadata.name)).toBe("1");
    // Pods were spread over both nodes (scheduler) and both agents ran them.
    const nodes = new Set(pods.map((p) => p.spec.nodeName));
    expect(nodes.size).toBe(2);
  });
});
