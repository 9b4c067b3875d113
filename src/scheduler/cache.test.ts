import { describe, expect, test } from "bun:test";
import { cacheWith, makeNode, makePod, pi } from "./testing.ts";

const zone = "topology.kubernetes.io/zone";

describe("SchedulerCache", () => {
  test("assume counts at once; the informer confirms; a failed binding forgets", () => {
    const c = cacheWith([makeNode("n")]);
    const p = pi("p", { cpu: "1" });
    const assumed = c.assumePod(p, "n");
    expect(c.get("n")!.requested.milliCPU).toBe(1000);
    expect(c.isAssumed(p.uid)).toBe(true);
    // A status patch of the still-unbound pod does not drop the assumption.
    c.upsertPod(makePod("p", { cpu: "1" }));
    expect(c.isAssumed(p.uid)).toBe(true);
    // The binding shows up.
    c.upsertPod(makePod("p", { cpu: "1", nodeName: "n" }));
    expect(c.isAssumed(p.uid)).toBe(false);
    expect(c.get("n")!.requested.milliCPU).toBe(1000);
    c.forgetPod(assumed); // too late: confirmed placements stay
    expect(c.get("n")!.pods.size).toBe(1);

    const q = pi("q", { cpu: "500m" });
    const qa = c.assumePod(q, "n");
    c.forgetPod(qa);
    expect(c.get("n")!.requested.milliCPU).toBe(1000);
  });

  test("terminal pods release their node; deleted nodes keep their pods until those go", () => {
    const c = cacheWith([makeNode("n")], [makePod("a", { nodeName: "n", cpu: "1" })]);
    const done = makePod("a", { nodeName: "n", cpu: "1" });
    done.status.phase = "Succeeded";
    c.upsertPod(done);
    expect(c.get("n")!.requested.milliCPU).toBe(0);
    c.upsertPod(makePod("b", { nodeName: "n", cpu: "1" }));
    c.removeNode("n");
    expect(c.nodes).toEqual([]);
    expect(c.get("n")!.pods.size).toBe(1);
    c.setNode(makeNode("n"));
    expect(c.nodes.map((x) => x.name)).toEqual(["n"]);
    expect(c.get("n")!.requested.milliCPU).toBe(1000);
    c.removeNode("n");
    c.removePodByUid("uid-default-b");
    expect(c.get("n")).toBeUndefined();
  });

  test("nodes are listed with zones interleaved", () => {
    const c = cacheWith([
      makeNode("a1", { labels: { [zone]: "a" } }),
      makeNode("a2", { labels: { [zone]: "a" } }),
      makeNode("a3", { labels: { [zone]: "a" } }),
      makeNode("b1", { labels: { [zone]: "b" } }),
      makeNode("c1", { labels: { [zone]: "c" } }),
      makeNode("c2", { labels: { [zone]: "c" } }),
    ]);
    expect(c.nodes.map((n) => n.name)).toEqual(["a1", "b1", "c1", "a2", "c2", "a3"]);
    c.setNode(makeNode("a3", { labels: { [zone]: "b" } }));
    expect(c.nodes.map((n) => n.name)).toEqual(["a1", "b1", "c1", "a2", "a3", "c2"]);
  });

  test("pod counts follow assumptions, confirmations and removals", () => {
    const c = cacheWith([makeNode("n"), makeNode("m")], [makePod("a", { nodeName: "n", labels: { app: "x" } })]);
    const m = { key: "app=x", matches: (p: { labels: Record<string, string> }) => p.labels.app === "x" };
    expect([...c.counts.countsByNode(m)]).toEqual([["n", 1]]);
    const b = c.assumePod(pi("b", { labels: { app: "x" } }), "m");
    expect(c.counts.countsByNode(m).get("m")).toBe(1);
    c.forgetPod(b);
    expect(c.counts.countsByNode(m).get("m")).toBeUndefined();
    c.removePodByUid("uid-default-a");
    expect(c.counts.countsByNode(m).size).toBe(0);
  });
});
