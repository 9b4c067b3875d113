/**
 * Workload controllers end to end on podman: `kite server` (built-in agent) plus one
 * `kite agent`, real containers, real kubectl, one namespace per scenario.
 * - Deployment: rolls out (`rollout status`), a changed image (test image :1 → :2, a
 *   different image) rolls out with maxUnavailable honoured (checked on every pod event in
 *   store order, not on the controller's own status), `rollout undo` returns to the
 *   previous revision (the running containers are the :1 image again).
 * - Job completions=3 parallelism=2 completes, never more than 2 pods running.
 * - A Job whose container exits non-zero fails after backoffLimit.
 * - DaemonSet covers both agents.
 * - StatefulSet pods come up in order with their PVCs (local-path volumes on the host,
 *   data kept across a pod's re-creation).
 * - `kubectl drain` of the agent's node: evictions honour a PodDisruptionBudget, the
 *   DaemonSet pod stays, a StatefulSet pod bound to a local volume there waits (Pending)
 *   until the node is uncordoned.
 * - Deleting a namespace empties it, down to the containers on the engine.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { LABELS } from "../../src/agent/runtime/types.ts";
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
        command: ["sh", "-c", "mkdir -p /www; echo ok > /www/ready; exec httpd -f -p 8080 -h /www"]
        readinessProbe:
          httpGet: {path: /ready, port: 8080}
          periodSeconds: 1
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

describe("Job on real containers", () => {
  const ns = "e2e-job";

  test("completions=3 parallelism=2 completes, at most 2 pods at once", async () => {
    await c.namespace(ns);
    const watch = watchPods(c.client, ns, "job-name=count", (pods) => {
      const active = pods.filter((p) => !p.metadata.deletionTimestamp && p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed");
      return active.length > 2 ? `${active.length} active pods (parallelism 2)` : null;
    });
    try {
      await c.apply(
        ns,
        `apiVersion: batch/v1
kind: Job
metadata:
  name: count
spec:
  completions: 3
  parallelism: 2
  backoffLimit: 2
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers:
      - name: work
        image: ${IMAGE_1}
        imagePullPolicy: IfNotPresent
        command: ["sh", "-c", "echo job-ran-in $(hostname); sleep 1"]
`,
      );
      const w = await c.kubectl(["wait", "-n", ns, "--for=condition=complete", "job/count", "--timeout=150s"], { timeoutMs: 160_000 });
      if (w.code !== 0) throw new Error(`job did not complete: ${w.stderr}\n${await c.describe(ns)}`);
    } finally {
      await watch.stop();
    }
    expect(watch.violations).toEqual([]);
    const job = await c.client.get(R.jobs, ns, "count");
    expect(job.status.succeeded).toBe(3);
    expect(job.status.failed ?? 0).toBe(0);
    const pods = await c.pods(ns, "job-name=count");
    expect(pods.filter((p) => p.status.phase === "Succeeded").length).toBe(3);
    // The output of a finished container, read back through the agent that ran it.
    for (const p of pods.filter((p) => p.status.phase === "Succeeded")) {
      const logs = await c.k(["logs", "-n", ns, p.metadata.name]);
      expect(logs).toBe(`job-ran-in ${p.metadata.name}\n`);
      expect(p.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 0, reason: "Completed" });
    }
  });
});

describe("failing Job on real containers", () => {
  const ns = "e2e-job-fail";

  test("a container's non-zero exit fails the Job after backoffLimit", async () => {
    await c.namespace(ns);
    await c.apply(
      ns,
      `apiVersion: batch/v1
kind: Job
metadata:
  name: fails
spec:
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers:
      - name: work
        image: ${IMAGE_1}
        imagePullPolicy: IfNotPresent
        command: ["sh", "-c", "echo failing; exit 2"]
`,
    );
    const w = await c.kubectl(["wait", "-n", ns, "--for=condition=failed", "job/fails", "--timeout=150s"], { timeoutMs: 160_000 });
    if (w.code !== 0) throw new Error(`job did not fail: ${w.stderr}\n${await c.describe(ns)}`);
    const job = await c.client.get(R.jobs, ns, "fails");
    expect(job.status.failed).toBe(2);
    expect(job.status.succeeded ?? 0).toBe(0);
    expect(((job.status.conditions ?? []) as KObj[]).find((x) => x.type === "Failed")).toMatchObject({ status: "True", reason: "BackoffLimitExceeded" });
    const pods = await c.pods(ns, "job-name=fails");
    expect(pods.length).toBe(2);
    for (const p of pods) {
      expect(p.status.phase).toBe("Failed");
      expect(p.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 2, reason: "Error" });
    }
  });
});

describe("DaemonSet on real containers", () => {
  const ns = "e2e-ds";

  test("covers both agents", async () => {
    await c.namespace(ns);
    await c.apply(
      ns,
      `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: everywhere
spec:
  selector:
    matchLabels: {app: everywhere}
  template:
    metadata:
      labels: {app: everywhere}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: ${IMAGE_1}
        imagePullPolicy: IfNotPresent
        command: ["sleep", "3600"]
`,
    );
    const st = await c.kubectl(["rollout", "status", "-n", ns, "daemonset/everywhere", "--timeout=150s"], { timeoutMs: 160_000 });
    if (st.code !== 0) throw new Error(`daemonset rollout failed: ${st.stderr}\n${await c.describe(ns)}`);
    expect(st.stdout).toContain('daemon set "everywhere" successfully rolled out');
    const pods = (await c.pods(ns, "app=everywhere")).filter((p) => !p.metadata.deletionTimestamp);
    expect(pods.map((p) => p.spec.nodeName).sort()).toEqual([c.serverNode, c.agents.get("a1")!.node].sort());
    expect(pods.every(isReady)).toBe(true);
    const ds = await c.client.get(R.daemonsets, ns, "everywhere");
    expect(ds.status).toMatchObject({ desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 2, numberMisscheduled: 0 });
  });
});

describe("StatefulSet on real containers", () => {
  const ns = "e2e-sts";

  test("pods come up in order with their PVCs", async () => {
    await c.namespace(ns);
    // OrderedReady: pod N is created only once pod N-1 is Running and Ready.
    const firstSeen: string[] = [];
    const watch = watchPods(c.client, ns, "app=db", (pods) => {
      for (const p of pods) {
        const name: string = p.metadata.name;
        if (firstSeen.includes(name)) continue;
        firstSeen.push(name);
        const ord = Number(name.split("-").pop());
        for (let i = 0; i < ord; i++) {
          const before = pods.find((x) => x.metadata.name === `db-${i}`);
          if (!before || !isReady(before)) return `${name} created while db-${i} was ${before ? "not Ready" : "missing"}`;
        }
      }
      return null;
    });
    try {
      await c.apply(
        ns,
        `apiVersion: v1
kind: Service
metadata:
  name: db
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  replicas: 3
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: ${IMAGE_1}
        imagePullPolicy: IfNotPresent
        command: ["sh", "-c", "echo $(hostname) >> /data/boots; exec sleep 3600"]
        volumeMounts:
        - {name: data, mountPath: /data}
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests: {storage: 10Mi}
`,
      );
      const st = await c.kubectl(["rollout", "status", "-n", ns, "statefulset/db", "--timeout=180s"], { timeoutMs: 190_000 });
      if (st.code !== 0) throw new Error(`statefulset rollout failed: ${st.stderr}\n${await c.describe(ns)}`);
    } finally {
      await watch.stop();
    }
    expect(watch.violations).toEqual([]);
    expect(firstSeen).toEqual(["db-0", "db-1", "db-2"]);

    const claims = ((await c.client.list(R.persistentvolumeclaims, ns)).items as KObj[]).map((p) => [p.metadata.name, p.status.phase]);
    expect(claims.sort()).toEqual([
      ["data-db-0", "Bound"],
      ["data-db-1", "Bound"],
      ["data-db-2", "Bound"],
    ]);
    // Each pod writes into its own volume, which is a directory on the host.
    const pvs = ((await c.client.list(R.persistentvolumes)).items as KObj[]).filter((v) => v.spec.claimRef?.namespace === ns);
    expect(pvs.length).toBe(3);
    for (const pv of pvs) {
      const dir: string = pv.spec.hostPath?.path ?? pv.spec.local?.path;
      expect(dir.startsWith(c.env.KITE_LOCAL_PATH_ROOT!)).toBe(true);
      const pod = pv.spec.claimRef.name.replace(/^data-/, "");
      const boots = readFileSync(join(dir, "boots"), "utf8");
      if (boots !== `${pod}\n`) {
        // Each pod's container should have started once: say what happened if not.
        const p = await c.client.get(R.pods, ns, pod);
        const logs = [c.server.log(), ...[...c.agents.values()].map((a) => a.proc.log())].join("\n").split("\n").filter((l) => l.includes(pod) || l.includes(p.metadata.uid));
        throw new Error(`${pod} booted ${JSON.stringify(boots)}; status ${JSON.stringify(p.status.containerStatuses)}\n${await c.describe(ns)}\n--- lines about ${pod} ---\n${logs.slice(-60).join("\n")}`);
      }
    }

    // A re-created pod gets the same claim back: its data survives.
    const old = await c.client.get(R.pods, ns, "db-1");
    await c.k(["delete", "pod", "-n", ns, "db-1", "--wait=true"]);
    await until("db-1 back and Ready", async () => {
      const p = await c.client.getOrNull(R.pods, ns, "db-1");
      return p && p.metadata.uid !== old.metadata.uid && isReady(p);
    }, 120_000);
    const boots = await c.k(["exec", "-n", ns, "db-1", "--", "cat", "/data/boots"]);
    expect(boots).toBe("db-1\ndb-1\n");
  });
});

describe("kubectl drain", () => {
  test("moves pods off an agent, honouring a PodDisruptionBudget and local volumes", async () => {
    const a1 = c.agents.get("a1")!.node;
    const dns = "e2e-deploy";
    // The web Deployment of the first scenario (3 replicas); at most one may be down.
    await c.apply(dns, `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
spec:
  minAvailable: 2
  selector:
    matchLabels: {app: web}
`);
    await until("the PDB allows 1 disruption", async () => (await c.client.json("GET", `/apis/policy/v1/namespaces/${dns}/poddisruptionbudgets/web`)).status?.disruptionsAllowed === 1, 60_000);
    const onA1 = async () => ((await c.client.list(R.pods, undefined, { fieldSelector: `spec.nodeName=${a1}` })).items as KObj[]).filter((p) => !p.metadata.deletionTimestamp);
    const before = await onA1();
    const stsOnA1 = before.filter((p) => p.metadata.namespace === "e2e-sts").map((p) => p.metadata.name as string);
    expect(before.some((p) => p.metadata.labels?.app === "everywhere")).toBe(true);

    const watch = watchPods(c.client, dns, "app=web", (pods) => {
      const ready = pods.filter((p) => !p.metadata.deletionTimestamp && isReady(p)).length;
      return ready < 2 ? `only ${ready} web pods ready during the drain` : null;
    });
    try {
      const d = await c.kubectl(["drain", a1, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=150s"], { timeoutMs: 160_000 });
      if (d.code !== 0) throw new Error(`drain failed: ${d.stderr}\n${await c.describe()}`);
      expect(d.stdout).toContain(`node/${a1} drained`);
    } finally {
      await watch.stop();
    }
    expect(watch.violations).toEqual([]);
    // Only the DaemonSet's pod stays on the drained node.
    expect((await onA1()).map((p) => p.metadata.labels?.app)).toEqual(["everywhere"]);
    expect((await c.client.get(R.nodes, undefined, a1)).spec.unschedulable).toBe(true);
    await until("3 web pods Ready on the server's node", async () => {
      const pods = (await c.pods(dns, "app=web")).filter((p) => !p.metadata.deletionTimestamp);
      return pods.length === 3 && pods.every((p) => isReady(p) && p.spec.nodeName === c.serverNode);
    }, 120_000);
    // A StatefulSet pod whose volume lives on the drained node cannot move: it waits
    // (OrderedReady: only the lowest evicted ordinal is re-created until it is Ready).
    stsOnA1.sort();
    if (stsOnA1.length) {
      const first = stsOnA1[0]!;
      const waiting = await until(`${first} re-created and Pending`, async () => {
        const p = await c.client.getOrNull(R.pods, "e2e-sts", first);
        return p && !p.metadata.deletionTimestamp && p.status?.phase === "Pending" && !p.spec.nodeName ? p : null;
      }, 60_000);
      const why = ((waiting.status?.conditions ?? []) as KObj[]).find((x) => x.type === "PodScheduled");
      expect(why).toMatchObject({ status: "False", reason: "Unschedulable" });
      expect(why!.message).toContain("volume node affinity conflict");
    }
    await c.k(["uncordon", a1]);
    // ...and returns to it once it is schedulable again, with its data.
    for (const name of stsOnA1) {
      await until(`${name} back on ${a1}`, async () => {
        const p = await c.client.getOrNull(R.pods, "e2e-sts", name);
        return p && p.spec.nodeName === a1 && isReady(p);
      }, 120_000);
      expect(await c.k(["exec", "-n", "e2e-sts", name, "--", "head", "-n1", "/data/boots"])).toBe(`${name}\n`);
    }
  });
});

describe("Namespace deletion", () => {
  const ns = "e2e-nsdel";

  test("deleting a namespace empties it, containers included", async () => {
    await c.namespace(ns);
    await c.apply(
      ns,
      `apiVersion: apps/v1
kind: Deployment
metadata:
  name: doomed
spec:
  replicas: 2
  selector:
    matchLabels: {app: doomed}
  template:
    metadata:
      labels: {app: doomed}
    spec:
      terminationGracePeriodSeconds: 30
      containers:
      - name: main
        image: ${IMAGE_1}
        imagePullPolicy: IfNotPresent
        command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
---
apiVersion: v1
kind: Service
metadata:
  name: doomed
spec:
  selector: {app: doomed}
  ports: [{port: 80}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: doomed
data: {k: v}
`,
    );
    await until("2 doomed pods Running", async () => (await c.pods(ns, "app=doomed")).filter((p) => p.status?.phase === "Running").length === 2, 120_000);
    const onEngine = async () => (await c.runtime.listContainers({ [LABELS.podNamespace]: ns })).length;
    expect(await onEngine()).toBe(2);

    const del = await c.kubectl(["delete", "namespace", ns, "--timeout=120s"], { timeoutMs: 130_000 });
    if (del.code !== 0) throw new Error(`namespace delete failed: ${del.stderr}\n${await c.describe(ns)}`);
    expect(await c.client.getOrNull(R.namespaces, undefined, ns)).toBeNull();
    for (const r of [R.pods, R.deployments, R.replicasets, R.services, R.configmaps, R.endpoints, R.serviceaccounts]) {
      expect(((await c.client.list(r, ns)).items as KObj[]).map((o) => o.metadata.name)).toEqual([]);
    }
    // The agents stopped and removed the pods' containers and sandboxes.
    await until("the namespace's containers gone from the engine", async () => (await onEngine()) === 0 && (await c.runtime.listSandboxes({ [LABELS.podNamespace]: ns })).length === 0, 60_000);
  });
});
