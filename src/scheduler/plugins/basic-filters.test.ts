import { describe, expect, test } from "bun:test";
import { cacheWith, filterOnce, makeNode, makePod, pi, scoreAll } from "../testing.ts";
import { nodeUnschedulable, ERR_REASON_UNSCHEDULABLE } from "./node-unschedulable.ts";
import { taintTolerationFilter, taintTolerationScore } from "./taint-toleration.ts";
import { nodeAffinityFilter, nodeAffinityScore, ERR_REASON_POD, nodeNamesFromAffinity } from "./node-affinity.ts";
import { nodePorts, ERR_REASON_PORTS } from "./node-ports.ts";
import { Code } from "../status.ts";

describe("NodeUnschedulable", () => {
  const snap = cacheWith([makeNode("cordoned", { unschedulable: true }), makeNode("open")]);
  test("a cordoned node refuses pods (unresolvable) unless they tolerate the unschedulable taint", () => {
    expect(filterOnce(nodeUnschedulable, pi("p"), "open", snap)).toBeNull();
    const s = filterOnce(nodeUnschedulable, pi("p"), "cordoned", snap);
    expect(s).toMatchObject({ code: Code.UnschedulableAndUnresolvable, reasons: [ERR_REASON_UNSCHEDULABLE], plugin: "NodeUnschedulable" });
    const tolerant = pi("t", { tolerations: [{ key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" }] });
    expect(filterOnce(nodeUnschedulable, tolerant, "cordoned", snap)).toBeNull();
  });
});

describe("TaintToleration", () => {
  const snap = cacheWith([
    makeNode("plain"),
    makeNode("tainted", { taints: [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }] }),
    makeNode("notready", { ready: "Unknown" }),
    makeNode("soft1", { taints: [{ key: "a", value: "", effect: "PreferNoSchedule" }] }),
    makeNode("soft2", { taints: [{ key: "a", value: "", effect: "PreferNoSchedule" }, { key: "b", value: "", effect: "PreferNoSchedule" }] }),
  ]);
  test("untolerated taint message names key and value", () => {
    expect(filterOnce(taintTolerationFilter, pi("p"), "tainted", snap)).toMatchObject({ code: Code.UnschedulableAndUnresolvable, reasons: ["node(s) had untolerated taint {dedicated: gpu}"] });
    expect(filterOnce(taintTolerationFilter, pi("p", { tolerations: [{ key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule" }] }), "tainted", snap)).toBeNull();
    expect(filterOnce(taintTolerationFilter, pi("p"), "plain", snap)).toBeNull();
    expect(filterOnce(taintTolerationFilter, pi("p"), "soft2", snap)).toBeNull(); // PreferNoSchedule never filters
  });
  test("a node that is not Ready is refused like upstream's unreachable taint", () => {
    expect(filterOnce(taintTolerationFilter, pi("p"), "notready", snap)).toMatchObject({ reasons: ["node(s) had untolerated taint {node.kubernetes.io/unreachable: }"] });
    const tol = pi("p", { tolerations: [{ key: "node.kubernetes.io/unreachable", operator: "Exists" }] });
    expect(filterOnce(taintTolerationFilter, tol, "notready", snap)).toBeNull();
  });
  test("score: fewer untolerated PreferNoSchedule taints is better (reverse-normalized)", () => {
    expect(scoreAll(taintTolerationScore, pi("p"), ["plain", "soft1", "soft2"], snap)).toEqual([100, 50, 0]);
    // Tolerating "a" (with an empty effect) leaves one intolerable taint on soft2 only.
    expect(scoreAll(taintTolerationScore, pi("p", { tolerations: [{ key: "a", operator: "Exists" }] }), ["plain", "soft1", "soft2"], snap)).toEqual([100, 100, 0]);
    // A NoSchedule-only toleration does not count for scoring.
    expect(scoreAll(taintTolerationScore, pi("p", { tolerations: [{ key: "a", operator: "Exists", effect: "NoSchedule" }] }), ["plain", "soft1", "soft2"], snap)).toEqual([100, 50, 0]);
  });
});

describe("NodeAffinity", () => {
  const snap = cacheWith([makeNode("a", { labels: { zone: "z1", disk: "ssd" } }), makeNode("b", { labels: { zone: "z2" } }), makeNode("c", { labels: { zone: "z3", disk: "ssd" } })]);
  test("no selector or affinity: the plugin skips", () => {
    expect(filterOnce(nodeAffinityFilter, pi("p"), "a", snap)).toBe("skip");
  });
  test("nodeSelector and required terms", () => {
    expect(filterOnce(nodeAffinityFilter, pi("p", { nodeSelector: { disk: "ssd" } }), "a", snap)).toBeNull();
    expect(filterOnce(nodeAffinityFilter, pi("p", { nodeSelector: { disk: "ssd" } }), "b", snap)).toMatchObject({ code: Code.UnschedulableAndUnresolvable, reasons: [ERR_REASON_POD] });
    const aff = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "zone", operator: "In", values: ["z2", "z3"] }] }] } } };
    expect(filterOnce(nodeAffinityFilter, pi("p", { affinity: aff }), "a", snap)).toMatchObject({ reasons: [ERR_REASON_POD] });
    expect(filterOnce(nodeAffinityFilter, pi("p", { affinity: aff }), "c", snap)).toBeNull();
    expect(filterOnce(nodeAffinityFilter, pi("p", { affinity: aff, nodeSelector: { disk: "ssd" } }), "b", snap)).toMatchObject({ reasons: [ERR_REASON_POD] });
  });
  test("metadata.name field terms narrow the nodes in PreFilter (DaemonSet pods)", () => {
    const pin = (names: string[][]) => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: names.map((vs) => ({ matchFields: vs.map((v) => ({ key: "metadata.name", operator: "In", values: [v] })) })) } } });
    expect(filterOnce(nodeAffinityFilter, pi("p", { affinity: pin([["b"]]) }), "a", snap)).toEqual({ nodeNames: new Set(["b"]) });
    expect(nodeNamesFromAffinity(makePod("p", { affinity: pin([["a"], ["c"]]) }).spec)).toEqual(new Set(["a", "c"]));
    // Two requirements in one term intersect: a and b → none → conflict.
    expect(filterOnce(nodeAffinityFilter, pi("p", { affinity: pin([["a", "b"]]) }), "a", snap)).toMatchObject({ code: Code.UnschedulableAndUnresolvable, reasons: ["pod affinity terms conflict"] });
    // A term without a name requirement allows all nodes.
    const mixed = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: ["a"] }] }, { matchExpressions: [{ key: "zone", operator: "Exists" }] }] } } };
    expect(filterOnce(nodeAffinityFilter, pi("p", { affinity: mixed }), "b", snap)).toBeNull();
  });
  test("score sums the weights of matching preferred terms, normalized to the maximum", () => {
    const aff = {
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 2, preference: { matchExpressions: [{ key: "disk", operator: "In", values: ["ssd"] }] } },
          { weight: 8, preference: { matchExpressions: [{ key: "zone", operator: "In", values: ["z3"] }] } },
        ],
      },
    };
    expect(scoreAll(nodeAffinityScore, pi("p", { affinity: aff }), ["a", "b", "c"], snap)).toEqual([20, 0, 100]);
    expect(scoreAll(nodeAffinityScore, pi("p"), ["a", "b"], snap)).toBeNull();
  });
});

describe("NodePorts", () => {
  const snap = cacheWith([makeNode("a"), makeNode("b")], [makePod("web", { nodeName: "a", hostPorts: [{ port: 8080 }] })]);
  test("pods without host ports skip; a used port refuses the node (resolvable by deleting the pod)", () => {
    expect(filterOnce(nodePorts, pi("p"), "a", snap)).toBe("skip");
    expect(filterOnce(nodePorts, pi("p", { hostPorts: [{ port: 8080 }] }), "a", snap)).toMatchObject({ code: Code.Unschedulable, reasons: [ERR_REASON_PORTS] });
    expect(filterOnce(nodePorts, pi("p", { hostPorts: [{ port: 8080 }] }), "b", snap)).toBeNull();
    expect(filterOnce(nodePorts, pi("p", { hostPorts: [{ port: 8080, protocol: "UDP" }] }), "a", snap)).toBeNull();
    expect(filterOnce(nodePorts, pi("p", { hostPorts: [{ port: 8080, ip: "127.0.0.1" }] }), "a", snap)).not.toBeNull();
  });
});
