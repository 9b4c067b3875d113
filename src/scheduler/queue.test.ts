import { describe, expect, test } from "bun:test";
import { cacheWith, makeNode, pi } from "./testing.ts";
import { SchedulingQueue } from "./queue.ts";

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("SchedulingQueue", () => {
  test("pops by priority, then first come first served", () => {
    const c = clock();
    const q = new SchedulingQueue({ now: c.now });
    q.add(pi("low1", { priority: 0 }));
    c.advance(1);
    q.add(pi("high", { priority: 100 }));
    c.advance(1);
    q.add(pi("low2", { priority: 0 }));
    c.advance(1);
    q.add(pi("mid", { priority: 10 }));
    expect([q.pop(), q.pop(), q.pop(), q.pop(), q.pop()].map((x) => x?.info.name)).toEqual(["high", "mid", "low1", "low2", undefined]);
  });

  test("backoff doubles from 1 s up to 10 s per attempt", () => {
    const q = new SchedulingQueue();
    const qp = { info: pi("p"), timestamp: 0, attempts: 0, plugins: new Set<string>(), gated: false, unschedulableSince: 0, deleted: false };
    expect([1, 2, 3, 4, 5, 6].map((attempts) => q.backoffDuration({ ...qp, attempts }))).toEqual([1000, 2000, 4000, 8000, 10000, 10000]);
  });

  test("an error goes to backoff and becomes active when the backoff has passed", () => {
    const c = clock();
    const q = new SchedulingQueue({ now: c.now });
    q.add(pi("p"));
    const p = q.pop()!;
    q.requeueBackoff(p);
    expect(q.where(p.info.uid)).toBe("backoff");
    c.advance(999);
    q.flush();
    expect(q.pop()).toBeUndefined();
    c.advance(1);
    q.flush();
    expect(q.pop()?.info.name).toBe("p");
  });

  test("unschedulable pods move only on events a rejecting plugin cares about", () => {
    const c = clock();
    const q = new SchedulingQueue({ now: c.now });
    q.add(pi("big", { cpu: "8" }));
    const p = q.pop()!;
    q.requeueUnschedulable(p, ["NodeResourcesFit"]);
    const snap = cacheWith([makeNode("small", { cpu: "2" }), makeNode("large", { cpu: "16" })]);
    expect(q.onEvent({ kind: "NodeAdd", node: snap.get("small")! })).toBe(0);
    expect(q.onEvent({ kind: "NodeUpdate", node: snap.get("large")!, change: { labels: true, taints: false, allocatable: false, unschedulable: false, conditions: false } })).toBe(0);
    // Still inside its 1 s backoff: the move goes to the backoff queue first.
    expect(q.onEvent({ kind: "NodeAdd", node: snap.get("large")! })).toBe(1);
    expect(q.where(p.info.uid)).toBe("backoff");
    c.advance(1000);
    q.flush();
    expect(q.where(p.info.uid)).toBe("active");
  });

  test("a pod rejected by no plugin in particular (no nodes) moves on any event; after backoff it goes straight to active", () => {
    const c = clock();
    const q = new SchedulingQueue({ now: c.now });
    q.add(pi("p"));
    q.requeueUnschedulable(q.pop()!, []);
    c.advance(5000);
    expect(q.onEvent({ kind: "NamespaceChange" })).toBe(1);
    expect(q.where("uid-default-p")).toBe("active");
  });

  test("events reach only pods rejected by a plugin acting on them; unknown plugins hear everything", () => {
    const c = clock();
    const q = new SchedulingQueue({ now: c.now });
    const spread = pi("spread", { labels: { app: "a" }, topologySpreadConstraints: [{ topologyKey: "kubernetes.io/hostname", maxSkew: 1, whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "a" } } }] });
    q.add(spread);
    c.advance(1);
    q.add(pi("affine"));
    c.advance(1);
    q.add(pi("odd"));
    q.requeueUnschedulable(q.pop()!, ["PodTopologySpread"]);
    q.requeueUnschedulable(q.pop()!, ["NodeAffinity"]);
    q.requeueUnschedulable(q.pop()!, ["SomeOutOfTreePlugin"]);
    c.advance(10_000);
    // A placed pod of another app: nobody's hint accepts it but the unknown plugin's.
    expect(q.onEvent({ kind: "AssignedPodAdd", pod: pi("x", { labels: { app: "b" }, nodeName: "n" }) })).toBe(1);
    expect(q.where("uid-default-odd")).toBe("active");
    // A matching placed pod moves the spreading pod; the NodeAffinity one stays.
    expect(q.onEvent({ kind: "AssignedPodAdd", pod: pi("y", { labels: { app: "a" }, nodeName: "n" }) })).toBe(1);
    expect(q.where("uid-default-spread")).toBe("active");
    expect(q.where("uid-default-affine")).toBe("unschedulable");
  });

  test("pods left unschedulable for 5 minutes are retried anyway", () => {
    const c = clock();
    const q = new SchedulingQueue({ now: c.now });
    q.add(pi("p"));
    q.requeueUnschedulable(q.pop()!, ["NodeAffinity"]);
    c.advance(299_000);
    q.flush();
    expect(q.where("uid-default-p")).toBe("unschedulable");
    c.advance(1000);
    q.flush();
    expect(q.where("uid-default-p")).toBe("active");
  });

  test("scheduling gates hold a pod until an update removes them; events do not move it", () => {
    const c = clock();
    const q = new SchedulingQueue({ now: c.now, maxInUnschedulableMs: 10 });
    q.add(pi("g", { gates: ["example.com/wait"] }));
    expect(q.pop()).toBeUndefined();
    expect(q.onEvent({ kind: "Wildcard" })).toBe(0);
    c.advance(1000);
    q.flush();
    expect(q.where("uid-default-g")).toBe("unschedulable");
    q.update(pi("g", { labels: { still: "gated" }, gates: ["example.com/wait"] }));
    expect(q.pop()).toBeUndefined();
    q.update(pi("g"));
    expect(q.pop()?.info.name).toBe("g");
  });

  test("updates: a spec/label change moves an unschedulable pod, a status change does not; deletes drop it everywhere", () => {
    const c = clock();
    const q = new SchedulingQueue({ now: c.now });
    q.add(pi("p"));
    const p = q.pop()!;
    q.requeueUnschedulable(p, ["NodeAffinity"]);
    c.advance(5000);
    const statusOnly = pi("p");
    statusOnly.pod.status = { phase: "Pending", conditions: [{ type: "PodScheduled", status: "False" }] };
    q.update(statusOnly);
    expect(q.where("uid-default-p")).toBe("unschedulable");
    q.update(pi("p", { nodeSelector: { disk: "ssd" } }));
    expect(q.where("uid-default-p")).toBe("active");
    q.delete("uid-default-p");
    expect(q.where("uid-default-p")).toBeUndefined();
    // Deleted while in flight: the failure does not bring it back.
    q.add(pi("x"));
    const x = q.pop()!;
    q.delete(x.info.uid);
    q.requeueUnschedulable(x, ["NodeResourcesFit"]);
    expect(q.where(x.info.uid)).toBeUndefined();
  });

  test("wait() resolves when a pod becomes active or the queue closes", async () => {
    const q = new SchedulingQueue();
    let woke = false;
    const w = q.wait().then(() => (woke = true));
    await Bun.sleep(5);
    expect(woke).toBe(false);
    q.add(pi("p"));
    await w;
    expect(woke).toBe(true);
    q.pop();
    const w2 = q.wait();
    q.close();
    await w2;
  });
});
