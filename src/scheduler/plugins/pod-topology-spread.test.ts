import { describe, expect, test } from "bun:test";
import { cacheWith, filterOnce, makeNode, makePod, pi, scoreAll } from "../testing.ts";
import { ERR_REASON_CONSTRAINTS_NOT_MATCH, ERR_REASON_NODE_LABEL_NOT_MATCH, podTopologySpreadFilter, podTopologySpreadScore } from "./pod-topology-spread.ts";
import { Code } from "../status.ts";
import { fromLabelSelector } from "../matchers.ts";

const zone = "topology.kubernetes.io/zone";
const host = "kubernetes.io/hostname";
const foo = { matchExpressions: [{ key: "foo", operator: "Exists" }] };
const c = (topologyKey: string, maxSkew: number, extra: Record<string, unknown> = {}) => ({ topologyKey, maxSkew, whenUnsatisfiable: "DoNotSchedule", labelSelector: foo, ...extra });

// zone1: node-a (2 matching pods), node-b (1); zone2: node-x (1), node-y (0).
const nodes = [makeNode("node-a", { labels: { [zone]: "zone1" } }), makeNode("node-b", { labels: { [zone]: "zone1" } }), makeNode("node-x", { labels: { [zone]: "zone2" } }), makeNode("node-y", { labels: { [zone]: "zone2" } })];
const placed = [
  makePod("a1", { nodeName: "node-a", labels: { foo: "" } }),
  makePod("a2", { nodeName: "node-a", labels: { foo: "" } }),
  makePod("b1", { nodeName: "node-b", labels: { foo: "" } }),
  makePod("x1", { nodeName: "node-x", labels: { foo: "" } }),
  makePod("y-other", { nodeName: "node-y", labels: { bar: "" } }),
  makePod("y-dying", { nodeName: "node-y", labels: { foo: "" }, deleting: true }),
  makePod("y-elsewhere", { nodeName: "node-y", labels: { foo: "" }, namespace: "other" }),
];
const snap = cacheWith(nodes, placed);
const verdicts = (pod: ReturnType<typeof pi>, s = snap) => Object.fromEntries(["node-a", "node-b", "node-x", "node-y"].map((n) => [n, filterOnce(podTopologySpreadFilter, pod, n, s)]));
const SKEW = { code: Code.Unschedulable, reasons: [ERR_REASON_CONSTRAINTS_NOT_MATCH], plugin: "PodTopologySpread" };

describe("PodTopologySpread filter", () => {
  test("pods without DoNotSchedule constraints skip", () => {
    expect(filterOnce(podTopologySpreadFilter, pi("p"), "node-a", snap)).toBe("skip");
    expect(filterOnce(podTopologySpreadFilter, pi("p", { topologySpreadConstraints: [{ ...c(zone, 1), whenUnsatisfiable: "ScheduleAnyway" }] }), "node-a", snap)).toBe("skip");
  });
  test("zone, maxSkew 1: zone1 has 3, zone2 has 1 (terminating and other-namespace pods do not count)", () => {
    const v = verdicts(pi("p", { labels: { foo: "" }, topologySpreadConstraints: [c(zone, 1)] }));
    expect(v["node-a"]).toMatchObject(SKEW);
    expect(v["node-b"]).toMatchObject(SKEW);
    expect(v["node-x"]).toBeNull();
    expect(v["node-y"]).toBeNull();
  });
  test("hostname, maxSkew 1: only the empty node", () => {
    const v = verdicts(pi("p", { labels: { foo: "" }, topologySpreadConstraints: [c(host, 1)] }));
    expect([v["node-a"], v["node-b"], v["node-x"], v["node-y"]]).toEqual([SKEW, SKEW, SKEW, null] as never);
  });
  test("a pod that does not match its own selector does not count itself", () => {
    const v = verdicts(pi("p", { topologySpreadConstraints: [c(host, 1)] }));
    expect(v["node-a"]).toMatchObject(SKEW); // 2 - 0 > 1
    expect(v["node-b"]).toBeNull(); // 1 - 0 ≤ 1
  });
  test("a node without the topology label is unresolvable", () => {
    const s = cacheWith([...nodes, makeNode("bare")], placed);
    expect(filterOnce(podTopologySpreadFilter, pi("p", { topologySpreadConstraints: [c(zone, 1)] }), "bare", s)).toMatchObject({ code: Code.UnschedulableAndUnresolvable, reasons: [ERR_REASON_NODE_LABEL_NOT_MATCH] });
  });
  test("minDomains above the number of domains makes the global minimum 0", () => {
    expect(verdicts(pi("p", { labels: { foo: "" }, topologySpreadConstraints: [c(zone, 1, { minDomains: 3 })] }))["node-x"]).toMatchObject(SKEW); // 1 + 1 - 0 > 1
    expect(verdicts(pi("p", { labels: { foo: "" }, topologySpreadConstraints: [c(zone, 2, { minDomains: 3 })] }))["node-x"]).toBeNull();
  });
  test("nodeAffinityPolicy: Honor counts only nodes matching the pod's node selector; Ignore counts all", () => {
    const honor = verdicts(pi("p", { labels: { foo: "" }, nodeSelector: { [zone]: "zone1" }, topologySpreadConstraints: [c(host, 1)] }));
    expect(honor["node-b"]).toBeNull(); // domains a=2, b=1 → min 1 → 1 + 1 - 1 ≤ 1
    const ignore = verdicts(pi("p", { labels: { foo: "" }, nodeSelector: { [zone]: "zone1" }, topologySpreadConstraints: [c(host, 1, { nodeAffinityPolicy: "Ignore" })] }));
    expect(ignore["node-b"]).toMatchObject(SKEW); // node-y joins with 0 → 2 - 0 > 1
  });
  test("nodeTaintsPolicy: Honor leaves out nodes with untolerated taints", () => {
    const tainted = [...nodes.slice(0, 3), makeNode("node-y", { labels: { [zone]: "zone2" }, taints: [{ key: "k", value: "", effect: "NoSchedule" }] })];
    const s = cacheWith(tainted, placed);
    expect(verdicts(pi("p", { labels: { foo: "" }, topologySpreadConstraints: [c(host, 1, { nodeTaintsPolicy: "Honor" })] }), s)["node-b"]).toBeNull(); // min is 1 without node-y
    expect(verdicts(pi("p", { labels: { foo: "" }, topologySpreadConstraints: [c(host, 1)] }), s)["node-b"]).toMatchObject(SKEW);
  });
  test("matchLabelKeys narrow the selector to the pod's own values", () => {
    const s = cacheWith(nodes, [makePod("r1", { nodeName: "node-a", labels: { foo: "", rev: "1" } }), makePod("r2", { nodeName: "node-a", labels: { foo: "", rev: "1" } })]);
    const pod = (rev: string) => pi("p", { labels: { foo: "", rev }, topologySpreadConstraints: [c(host, 1, { matchLabelKeys: ["rev"] })] });
    expect(filterOnce(podTopologySpreadFilter, pod("1"), "node-a", s)).toMatchObject(SKEW);
    expect(filterOnce(podTopologySpreadFilter, pod("2"), "node-a", s)).toBeNull();
  });
  test("counts follow pods added and removed after the first use", () => {
    const s = cacheWith(nodes, placed);
    const p = pi("p", { labels: { foo: "" }, topologySpreadConstraints: [c(host, 1)] });
    expect(filterOnce(podTopologySpreadFilter, p, "node-y", s)).toBeNull();
    for (const n of ["node-y", "node-b", "node-x"]) s.upsertPod(makePod(`more-${n}`, { nodeName: n, labels: { foo: "" } }));
    // now a=2, b=2, x=2, y=1 → only y
    expect(filterOnce(podTopologySpreadFilter, p, "node-b", s)).toMatchObject(SKEW);
    expect(filterOnce(podTopologySpreadFilter, p, "node-y", s)).toBeNull();
    s.removePodByUid("uid-default-a1");
    s.removePodByUid("uid-default-a2");
    expect(filterOnce(podTopologySpreadFilter, p, "node-a", s)).toBeNull();
  });
});

describe("PodTopologySpread score", () => {
  const three = [makeNode("node-a", { labels: { [zone]: "zone1" } }), makeNode("node-b", { labels: { [zone]: "zone1" } }), makeNode("node-x", { labels: { [zone]: "zone2" } })];
  const pods = [makePod("a1", { nodeName: "node-a", labels: { foo: "" } }), makePod("a2", { nodeName: "node-a", labels: { foo: "" } }), makePod("x1", { nodeName: "node-x", labels: { foo: "" } })];
  const s = cacheWith(three, pods);
  const soft = (topologyKey: string, maxSkew: number) => ({ topologyKey, maxSkew, whenUnsatisfiable: "ScheduleAnyway", labelSelector: foo });
  const plugin = podTopologySpreadScore({ defaultSelector: () => null });
  test("hostname: weight ln(3+2); scores 3, 0, 2 → normalized 0, 100, 33", () => {
    expect(scoreAll(plugin, pi("p", { labels: { foo: "" }, topologySpreadConstraints: [soft(host, 1)] }), ["node-a", "node-b", "node-x"], s)).toEqual([0, 100, 33]);
  });
  test("zone, maxSkew 2: weight ln(2+2); zone1 has 2, zone2 has 1 → 50, 50, 100", () => {
    expect(scoreAll(plugin, pi("p", { labels: { foo: "" }, topologySpreadConstraints: [soft(zone, 2)] }), ["node-a", "node-b", "node-x"], s)).toEqual([50, 50, 100]);
  });
  test("explicit constraints ignore nodes missing a topology key (score 0)", () => {
    const s2 = cacheWith([...three, makeNode("bare")], pods);
    expect(scoreAll(plugin, pi("p", { topologySpreadConstraints: [soft(zone, 2)] }), ["node-a", "node-b", "node-x", "bare"], s2)).toEqual([50, 50, 100, 0]);
  });
  test("system defaults spread a ReplicaSet's pods by hostname (3) and zone (5); nodes without a zone still score", () => {
    const s2 = cacheWith([...three, makeNode("nozone")], pods);
    const withOwner = podTopologySpreadScore({ defaultSelector: (p) => (p.controller ? fromLabelSelector(foo) : null) });
    const pod = pi("p", { labels: { foo: "" }, owner: { kind: "ReplicaSet", name: "rs" } });
    // raw: a 12, b 9, x 9, nozone 2 → 100*(14-s)/12
    expect(scoreAll(withOwner, pod, ["node-a", "node-b", "node-x", "nozone"], s2)).toEqual([16, 41, 41, 100]);
    expect(scoreAll(withOwner, pi("bare", { labels: { foo: "" } }), ["node-a"], s2)).toBeNull();
  });
});
