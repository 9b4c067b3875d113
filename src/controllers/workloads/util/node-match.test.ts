import { describe, expect, it } from "bun:test";
import { nodeMatchesPodSpec, toleratesTaint, untoleratedTaint } from "./node-match.ts";

const node = { metadata: { name: "n1", labels: { zone: "a", gpu: "2" } } };

describe("node matching", () => {
  it("matches nodeSelector", () => {
    expect(nodeMatchesPodSpec({ nodeSelector: { zone: "a" } }, node)).toBe(true);
    expect(nodeMatchesPodSpec({ nodeSelector: { zone: "b" } }, node)).toBe(false);
    expect(nodeMatchesPodSpec({}, node)).toBe(true);
  });

  it("ORs terms and ANDs expressions and fields", () => {
    const aff = (terms: unknown) => ({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } });
    expect(nodeMatchesPodSpec(aff([{ matchFields: [{ key: "metadata.name", operator: "In", values: ["n1"] }] }]), node)).toBe(true);
    expect(nodeMatchesPodSpec(aff([{ matchFields: [{ key: "metadata.name", operator: "In", values: ["n2"] }] }]), node)).toBe(false);
    expect(nodeMatchesPodSpec(aff([{ matchExpressions: [{ key: "zone", operator: "In", values: ["b"] }] }, { matchExpressions: [{ key: "gpu", operator: "Gt", values: ["1"] }] }]), node)).toBe(true);
    expect(nodeMatchesPodSpec(aff([{ matchExpressions: [{ key: "zone", operator: "Exists" }, { key: "ssd", operator: "Exists" }] }]), node)).toBe(false);
    expect(nodeMatchesPodSpec(aff([{ matchExpressions: [{ key: "ssd", operator: "DoesNotExist" }, { key: "zone", operator: "NotIn", values: ["b"] }] }]), node)).toBe(true);
    expect(nodeMatchesPodSpec(aff([{}]), node)).toBe(false);
    expect(nodeMatchesPodSpec(aff([]), node)).toBe(false);
  });

  it("tolerates taints like v1 Toleration.ToleratesTaint", () => {
    const taint = { key: "k", value: "v", effect: "NoSchedule" };
    expect(toleratesTaint({ key: "k", operator: "Equal", value: "v" }, taint)).toBe(true);
    expect(toleratesTaint({ key: "k", value: "w" }, taint)).toBe(false);
    expect(toleratesTaint({ key: "k", operator: "Exists", effect: "NoExecute" }, taint)).toBe(false);
    expect(toleratesTaint({ operator: "Exists" }, taint)).toBe(true);
    expect(untoleratedTaint([taint, { key: "x", effect: "PreferNoSchedule" }], [], (t) => t.effect !== "PreferNoSchedule")).toEqual(taint);
    expect(untoleratedTaint([taint], [{ operator: "Exists" }], () => true)).toBeUndefined();
  });
});
