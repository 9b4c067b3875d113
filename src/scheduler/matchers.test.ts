import { describe, expect, test } from "bun:test";
import { affinityTerm, affinityTermMatches, compileNodeSelectorTerm, findUntoleratedTaint, doNotSchedule, nodeTermMatches, requiredNodeAffinity, requiredNodeAffinityMatches, toleratesTaint } from "./matchers.ts";

const taint = { key: "k", value: "v", effect: "NoSchedule" };
const tol = (t: Partial<{ key: string; operator: string; value: string; effect: string }>) => ({ key: "", operator: "", value: "", effect: "", ...t });

describe("tolerations", () => {
  test("ToleratesTaint semantics", () => {
    expect(toleratesTaint(tol({ key: "k", value: "v" }), taint)).toBe(true); // empty operator = Equal, empty effect = all
    expect(toleratesTaint(tol({ key: "k", value: "other" }), taint)).toBe(false);
    expect(toleratesTaint(tol({ key: "k", operator: "Exists" }), taint)).toBe(true);
    expect(toleratesTaint(tol({ operator: "Exists" }), taint)).toBe(true); // empty key + Exists tolerates everything
    expect(toleratesTaint(tol({ key: "k", operator: "Exists", effect: "NoExecute" }), taint)).toBe(false);
    expect(toleratesTaint(tol({ key: "k", operator: "Bogus" }), taint)).toBe(false);
    expect(toleratesTaint(tol({ key: "other", operator: "Exists" }), taint)).toBe(false);
  });

  test("only NoSchedule/NoExecute taints block; the first untolerated one is reported", () => {
    const taints = [
      { key: "soft", value: "", effect: "PreferNoSchedule" },
      { key: "a", value: "1", effect: "NoExecute" },
      { key: "b", value: "2", effect: "NoSchedule" },
    ];
    expect(findUntoleratedTaint(taints, [], doNotSchedule)).toEqual(taints[1]);
    expect(findUntoleratedTaint(taints, [tol({ key: "a", operator: "Exists" })], doNotSchedule)).toEqual(taints[2]);
    expect(findUntoleratedTaint(taints, [tol({ operator: "Exists" })], doNotSchedule)).toBeUndefined();
  });
});

describe("node selector terms", () => {
  const labels = { zone: "a", gpu: "true", cores: "8" };
  const term = (matchExpressions: unknown[], matchFields?: unknown[]) => compileNodeSelectorTerm({ matchExpressions, ...(matchFields ? { matchFields } : {}) });
  test("operators", () => {
    expect(nodeTermMatches(term([{ key: "zone", operator: "In", values: ["a", "b"] }]), "n", labels)).toBe(true);
    expect(nodeTermMatches(term([{ key: "zone", operator: "NotIn", values: ["a"] }]), "n", labels)).toBe(false);
    expect(nodeTermMatches(term([{ key: "missing", operator: "NotIn", values: ["a"] }]), "n", labels)).toBe(true);
    expect(nodeTermMatches(term([{ key: "gpu", operator: "Exists" }]), "n", labels)).toBe(true);
    expect(nodeTermMatches(term([{ key: "gpu", operator: "DoesNotExist" }]), "n", labels)).toBe(false);
    expect(nodeTermMatches(term([{ key: "cores", operator: "Gt", values: ["4"] }]), "n", labels)).toBe(true);
    expect(nodeTermMatches(term([{ key: "cores", operator: "Lt", values: ["4"] }]), "n", labels)).toBe(false);
    expect(nodeTermMatches(term([{ key: "zone", operator: "Gt", values: ["4"] }]), "n", labels)).toBe(false); // non-integer label
  });
  test("matchFields on metadata.name; empty and invalid terms match nothing", () => {
    expect(nodeTermMatches(term([], [{ key: "metadata.name", operator: "In", values: ["n"] }]), "n", labels)).toBe(true);
    expect(nodeTermMatches(term([], [{ key: "metadata.name", operator: "In", values: ["n"] }]), "m", labels)).toBe(false);
    expect(nodeTermMatches(term([], [{ key: "metadata.name", operator: "NotIn", values: ["n"] }]), "m", labels)).toBe(true);
    expect(nodeTermMatches(compileNodeSelectorTerm({}), "n", labels)).toBe(false);
    expect(nodeTermMatches(term([{ key: "zone", operator: "Near", values: ["a"] }]), "n", labels)).toBe(false);
    expect(nodeTermMatches(term([], [{ key: "metadata.uid", operator: "In", values: ["n"] }]), "n", labels)).toBe(false);
  });
  test("nodeSelector AND any required term", () => {
    const a = requiredNodeAffinity({
      nodeSelector: { zone: "a" },
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "gpu", operator: "DoesNotExist" }] }, { matchExpressions: [{ key: "cores", operator: "In", values: ["8"] }] }] } } },
    });
    expect(requiredNodeAffinityMatches(a, "n", labels)).toBe(true);
    expect(requiredNodeAffinityMatches(a, "n", { ...labels, zone: "b" })).toBe(false);
    expect(requiredNodeAffinityMatches(a, "n", { zone: "a", gpu: "x", cores: "2" })).toBe(false);
    expect(requiredNodeAffinity({})).toBeNull();
  });
});

describe("pod affinity terms", () => {
  test("namespaces default to the pod's own; a namespace selector widens them", () => {
    const own = affinityTerm("ns1", { labelSelector: { matchLabels: { app: "db" } }, topologyKey: "zone" });
    expect(affinityTermMatches(own, "ns1", { app: "db" }, {})).toBe(true);
    expect(affinityTermMatches(own, "ns2", { app: "db" }, {})).toBe(false);
    const bySel = affinityTerm("ns1", { labelSelector: { matchLabels: { app: "db" } }, namespaceSelector: { matchLabels: { team: "x" } }, topologyKey: "zone" });
    expect(affinityTermMatches(bySel, "ns1", { app: "db" }, {})).toBe(false); // explicit selector: own namespace not implied
    expect(affinityTermMatches(bySel, "ns2", { app: "db" }, { team: "x" })).toBe(true);
    const all = affinityTerm("ns1", { labelSelector: { matchLabels: { app: "db" } }, namespaceSelector: {}, topologyKey: "zone" });
    expect(affinityTermMatches(all, "anything", { app: "db" }, undefined)).toBe(true);
    const listed = affinityTerm("ns1", { labelSelector: { matchExpressions: [{ key: "app", operator: "Exists" }] }, namespaces: ["ns3"], topologyKey: "zone" });
    expect(affinityTermMatches(listed, "ns3", { app: "" }, {})).toBe(true);
    expect(affinityTermMatches(listed, "ns1", { app: "" }, {})).toBe(false);
    const nil = affinityTerm("ns1", { topologyKey: "zone" }); // nil labelSelector matches nothing
    expect(affinityTermMatches(nil, "ns1", {}, {})).toBe(false);
  });
});
