/**
 * The single-node default and the product paths around pods, on podman with real kubectl:
 * - `kite server` alone (its built-in agent) gives `kubectl get nodes` one Ready node and
 *   runs a pod (`kubectl run`);
 * - `kubectl logs -f` streams, `kubectl exec` returns exit codes (and passes stdin) and
 *   `kubectl port-forward` reaches the pod, through the built-in agent, then through a
 *   separate `kite agent` process joined later; `kubectl logs --previous` shows a
 *   restarted container's earlier output;
 * - a Service's Endpoints (and EndpointSlice) follow the pods' readiness probe, and the
 *   ready address serves the pod's httpd to another pod.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { KObj } from "../../src/client/client.ts";
import { R } from "../../src/client/resources.ts";
import { freePort } from "../lib/kite.ts";
import { type E2ECluster, IMAGE_1, isReady, startE2E, streamReader, until } from "./lib.ts";

setDefaultTimeout(180_000);

let c: E2ECluster;

beforeAll(async () => {
  c = await startE2E();
}, 120_000);

afterAll(async () => {
  await c?.stop();
});

describe("single-node default", () => {
  test("kubectl get nodes shows the server's own node Ready", async () => {
    const out = await c.k(["get", "nodes", "--no-headers"]);
    const rows = out.trim().split("\n").map((l) => l.trim().split(/\s+/));
    expect(rows.length).toBe(1);
    expect(rows[0]!.slice(0, 3)).toEqual([c.serverNode, "Ready", "control-plane"]);
    const node = await c.client.get(R.nodes, undefined, c.serverNode);
    expect(node.status.nodeInfo.containerRuntimeVersion).toMatch(/^podman:\/\//);
  });

  test("runs a pod", async () => {
    await c.k(["run", "hello", "--image", IMAGE_1, "--image-pull-policy=IfNotPresent", "--restart=Never", "--", "sh", "-c", "echo hello from $(hostname); exec sleep 3600"]);
    const w = await c.kubectl(["wait", "--for=condition=Ready", "pod/hello", "--timeout=120s"], { timeoutMs: 130_000 });
    if (w.code !== 0) throw new Error(`pod not Ready: ${w.stderr}\n${await c.describe("default")}`);
    const pod = await c.client.get(R.pods, "default", "hello");
    expect(pod.spec.nodeName).toBe(c.serverNode);
    expect(pod.status.podIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(await c.k(["logs", "hello"])).toBe("hello from hello\n");
    // sleep as PID 1 ignores SIGTERM: a short grace period, or the delete waits 30 s.
    await c.k(["delete", "pod", "hello", "--grace-period=1", "--wait=true"]);
    expect(await c.runtime.listContainers({ "io.kubernetes.pod.name": "hello", "io.kite.node-name": c.serverNode })).toEqual([]);
  });
});

describe("scheduling against the agent's real capacity", () => {
  test("a pod asking for more than the node has stays Pending, Insufficient cpu", async () => {
    const node = await c.client.get(R.nodes, undefined, c.serverNode);
    const cores = Number(node.status.allocatable.cpu);
    expect(cores).toBeGreaterThan(0);
    await c.k(["run", "too-big", "--image", IMAGE_1, "--image-pull-policy=IfNotPresent", "--restart=Never", `--overrides={"spec":{"containers":[{"name":"too-big","image":"${IMAGE_1}","imagePullPolicy":"IfNotPresent","command":["sleep","3600"],"resources":{"requests":{"cpu":"${cores * 4}"}}}]}}`]);
    const cond = await until("too-big unschedulable", async () => {
      const p = await c.client.get(R.pods, "default", "too-big");
      return ((p.status?.conditions ?? []) as KObj[]).find((x) => x.type === "PodScheduled" && x.status === "False");
    }, 30_000);
    expect(cond).toMatchObject({ reason: "Unschedulable" });
    expect(cond.message).toContain("1 Insufficient cpu");
    await c.k(["delete", "pod", "too-big", "--wait=true"]);
  });
});

/** logs -f, exec exit codes and exec stdin against a pod on `node`, in namespace `ns`. */
async function streamingThrough(ns: string, node: string) {
  await c.namespace(ns);
  await c.apply(
    ns,
    `apiVersion: v1
kind: Pod
metadata:
  name: streamer
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  nodeSelector: {kubernetes.io/hostname: ${node}}
  containers:
  - name: main
    image: ${IMAGE_1}
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "mkdir /www; echo served by $(hostname) > /www/index.html; httpd -p 8080 -h /www; echo waiting; while [ ! -f /tmp/go ]; do sleep 0.2; done; i=0; while [ $i -lt 5 ]; do i=$((i+1)); echo tick $i; sleep 0.3; done"]
`,
  );
  const w = await c.kubectl(["wait", "-n", ns, "--for=condition=Ready", "pod/streamer", "--timeout=120s"], { timeoutMs: 130_000 });
  if (w.code !== 0) throw new Error(`pod not Ready: ${w.stderr}\n${await c.describe(ns)}`);
  expect((await c.client.get(R.pods, ns, "streamer")).spec.nodeName).toBe(node);

  const logs = c.spawnKubectl(["logs", "-f", "-n", ns, "streamer"]);
  const out = streamReader(logs.stdout);
  try {
    // The stream is open and has delivered what was written so far; nothing more comes
    // until the exec below lets the container go on.
    expect(await out.until(/waiting\n/, 30_000)).toBe("waiting\n");

    const cat = await c.kubectl(["exec", "-i", "-n", ns, "streamer", "--", "cat"], { stdin: "through stdin\n" });
    expect(cat).toMatchObject({ code: 0, stdout: "through stdin\n" });
    const ok = await c.kubectl(["exec", "-n", ns, "streamer", "--", "sh", "-c", "echo out; echo err >&2"]);
    expect(ok).toMatchObject({ code: 0, stdout: "out\n" });
    expect(ok.stderr).toBe("err\n");
    // port-forward: a local port reaches the pod's httpd through the same tunnel.
    const port = freePort();
    const pf = c.spawnKubectl(["port-forward", "-n", ns, "pod/streamer", `${port}:8080`]);
    try {
      await streamReader(pf.stdout).until(/Forwarding from 127\.0\.0\.1/, 30_000);
      const res = await fetch(`http://127.0.0.1:${port}/index.html`);
      expect(await res.text()).toBe("served by streamer\n");
    } finally {
      pf.kill();
      await pf.exited;
    }

    const fail = await c.kubectl(["exec", "-n", ns, "streamer", "--", "sh", "-c", "touch /tmp/go; exit 3"]);
    expect(fail.code).toBe(3);
    expect(fail.stderr).toContain("command terminated with exit code 3");
    const missing = await c.kubectl(["exec", "-n", ns, "streamer", "--", "no-such-command"]);
    expect(missing.code).not.toBe(0);

    // The container now prints ticks and exits: logs -f delivers them as they come and
    // ends when the container does.
    const rest = await out.rest(60_000);
    expect(rest).toBe("tick 1\ntick 2\ntick 3\ntick 4\ntick 5\n");
    expect(await logs.exited).toBe(0);
  } finally {
    logs.kill();
    await logs.exited;
  }
  await until("streamer Succeeded", async () => (await c.client.get(R.pods, ns, "streamer")).status?.phase === "Succeeded", 60_000);
}

describe("logs and exec", () => {
  test("through the built-in agent", async () => {
    await streamingThrough("e2e-stream-builtin", c.serverNode);
  });

  test("through a separate kite agent process", async () => {
    const node = await c.addAgent("a1");
    await streamingThrough("e2e-stream-agent", node);
  });
});

describe("restarted containers", () => {
  test("logs --previous shows the attempt before a liveness restart", async () => {
    const ns = "e2e-previous";
    await c.namespace(ns);
    // Each attempt prints its number (kept in an emptyDir) and fails its liveness probe.
    await c.apply(
      ns,
      `apiVersion: v1
kind: Pod
metadata:
  name: flaky
spec:
  terminationGracePeriodSeconds: 1
  nodeSelector: {kubernetes.io/hostname: ${c.agents.get("a1")?.node ?? c.serverNode}}
  containers:
  - name: main
    image: ${IMAGE_1}
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "n=$(cat /state/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /state/n; echo attempt $n; touch /tmp/alive; sleep 3; rm /tmp/alive; exec sleep 3600"]
    livenessProbe:
      exec: {command: ["test", "-f", "/tmp/alive"]}
      initialDelaySeconds: 1
      periodSeconds: 1
      failureThreshold: 1
      timeoutSeconds: 10
    volumeMounts: [{name: state, mountPath: /state}]
  volumes: [{name: state, emptyDir: {}}]
`,
    );
    await until("flaky restarted once", async () => {
      const p = await c.client.getOrNull(R.pods, ns, "flaky");
      const st = p?.status?.containerStatuses?.[0];
      return st && st.restartCount >= 1 && st.state?.running;
    }, 120_000).catch(async (e) => {
      throw new Error(`${(e as Error).message}\n${await c.describe(ns)}`);
    });
    const prev = await c.k(["logs", "-n", ns, "flaky", "--previous"]);
    const cur = await c.k(["logs", "-n", ns, "flaky"]);
    const n = Number(/attempt (\d+)/.exec(cur)?.[1]);
    expect(n).toBeGreaterThanOrEqual(2);
    expect(prev).toBe(`attempt ${n - 1}\n`);
    const st = (await c.client.get(R.pods, ns, "flaky")).status.containerStatuses[0];
    expect(st.lastState.terminated).toMatchObject({ exitCode: 137 });
    // It would go on restarting (and probing every second) for the rest of the file.
    await c.k(["delete", "namespace", ns, "--wait=false"]);
  });
});

describe("Service endpoints", () => {
  const ns = "e2e-svc";

  test("follow pod readiness", async () => {
    await c.namespace(ns);
    await c.apply(
      ns,
      `apiVersion: apps/v1
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
        image: ${IMAGE_1}
        imagePullPolicy: IfNotPresent
        command: ["sh", "-c", "mkdir /www; hostname > /www/index.html; exec httpd -f -p 8080 -h /www"]
        ports: [{containerPort: 8080, name: http}]
        readinessProbe:
          httpGet: {path: /ready, port: http}
          periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
`,
    );
    const running = await until("2 web pods Running with IPs", async () => {
      const pods = (await c.pods(ns, "app=web")).filter((p) => p.status?.phase === "Running" && p.status.podIP);
      return pods.length === 2 ? pods : null;
    }, 120_000);
    const ipOf = new Map(running.map((p) => [p.metadata.name as string, p.status.podIP as string]));
    const [a, b] = [...ipOf.keys()].sort() as [string, string];
    const endpoints = async () => {
      const ep = await c.client.get(R.endpoints, ns, "web");
      const subset = (ep.subsets ?? [])[0] ?? {};
      const ips = (l: KObj[] | undefined) => (l ?? []).map((x) => x.ip as string).sort();
      return { ready: ips(subset.addresses), notReady: ips(subset.notReadyAddresses), ports: subset.ports ?? [] };
    };
    const slice = async () => {
      const items = (await c.client.list(R.endpointslices, ns, { labelSelector: "kubernetes.io/service-name=web" })).items as KObj[];
      return Object.fromEntries(items.flatMap((s) => (s.endpoints ?? []).map((e: KObj) => [e.addresses[0], e.conditions?.ready === true])));
    };
    const expectState = async (what: string, ready: string[], notReady: string[]) => {
      const want = { ready: ready.map((n) => ipOf.get(n)!).sort(), notReady: notReady.map((n) => ipOf.get(n)!).sort() };
      await until(what, async () => {
        const e = await endpoints();
        return JSON.stringify({ ready: e.ready, notReady: e.notReady }) === JSON.stringify(want);
      }, 60_000).catch(async (e) => {
        throw new Error(`${(e as Error).message}; endpoints now ${JSON.stringify(await endpoints())}, want ${JSON.stringify(want)}`);
      });
      const s = await until(`${what} (EndpointSlice)`, async () => {
        const m = await slice();
        return Object.keys(m).length === 2 && ready.every((n) => m[ipOf.get(n)!] === true) && notReady.every((n) => m[ipOf.get(n)!] === false) ? m : null;
      }, 30_000);
      expect(Object.keys(s).length).toBe(2);
    };

    // Running but not ready: both addresses wait in notReadyAddresses.
    await expectState("both not ready", [], [a, b]);
    expect((await endpoints()).ports).toEqual([{ port: 8080, protocol: "TCP" }]);

    await c.k(["exec", "-n", ns, a, "--", "touch", "/www/ready"]);
    await expectState(`${a} ready`, [a], [b]);
    // The ready address is a real pod: another pod reaches its httpd there.
    const got = await c.k(["exec", "-n", ns, b, "--", "wget", "-qO-", `http://${ipOf.get(a)}:8080/`]);
    expect(got).toBe(`${a}\n`);

    await c.k(["exec", "-n", ns, b, "--", "touch", "/www/ready"]);
    await expectState("both ready", [a, b], []);

    await c.k(["exec", "-n", ns, a, "--", "rm", "/www/ready"]);
    await expectState(`${a} not ready again`, [b], [a]);
    expect(isReady(await c.client.get(R.pods, ns, a))).toBe(false);
  });
});
