import { describe, expect, test } from "bun:test";
import { cacheWith, filterOnce, makeNode, makePod, pi, scoreAll } from "../testing.ts";
import { ERR_REASON_AFFINITY, ERR_REASON_ANTI_AFFINITY, ERR_REASON_EXISTING_ANTI_AFFINITY, interPodAffinityFilter, interPodAffinityScore } from "./inter-pod-affinity.ts";
import { Code } from "../status.ts";

const zone = "topology.kubernetes.io/zone";
const host = "kubernetes.io/hostname";
const term = (app: string, topologyKey: string, extra: Record<string, unknown> = {}) => ({ labelSelector: { matchLabels: { app } }, topologyKey, ...extra });
const nodes = [makeNode("n1", { labels: { [zone]: "z1" } }), makeNode("n2", { labels: { [zone]: "z1" } }), makeNode("n3", { labels: { [zone]: "z2" } })];
const db = makePod("db", { nodeName: "n1", labels: { app: "db" } });

describe("InterPodAffinity filter", () => {
  const snap = cacheWith(nodes, [db]);
  test("pods without affinity on a cluster without anti-affinity pods skip", () => {
    expect(filterOnce(interPodAffinityFilter, pi("p"), "n1", snap)).toBe("skip");
  });
  test("required affinity by zone and by hostname", () => {
    const byZone = pi("p", { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("db", zone)] } } });
    expect(filterOnce(interPodAffinityFilter, byZone, "n2", snap)).toBeNull();
    expect(filterOnce(interPodAffinityFilter, byZone, "n3", snap)).toMatchObject({ code: Code.UnschedulableAndUnresolvable, reasons: [ERR_REASON_AFFINITY] });
    const byHost = pi("p", { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("db", host)] } } });
    expect(filterOnce(interPodAffinityFilter, byHost, "n1", snap)).toBeNull();
    expect(filterOnce(interPodAffinityFilter, byHost, "n2", snap)).toMatchObject({ reasons: [ERR_REASON_AFFINITY] });
  });
  test("required anti-affinity", () => {
    const anti = pi("p", { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("db", host)] } } });
    expect(filterOnce(interPodAffinityFilter, anti, "n1", snap)).toMatchObject({ code: Code.Unschedulable, reasons: [ERR_REASON_ANTI_AFFINITY] });
    expect(filterOnce(interPodAffinityFilter, anti, "n2", snap)).toBeNull();
    const antiZone = pi("p", { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("db", zone)] } } });
    expect(filterOnce(interPodAffinityFilter, antiZone, "n2", snap)).toMatchObject({ reasons: [ERR_REASON_ANTI_AFFINITY] });
    expect(filterOnce(interPodAffinityFilter, antiZone, "n3", snap)).toBeNull();
  });
  test("placed pods' anti-affinity keeps matching pods out of their domain", () => {
    const loner = makePod("loner", { nodeName: "n3", labels: { app: "loner" }, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("web", zone)] } } });
    const s = cacheWith(nodes, [db, loner]);
    expect(filterOnce(interPodAffinityFilter, pi("w", { labels: { app: "web" } }), "n3", s)).toMatchObject({ code: Code.Unschedulable, reasons: [ERR_REASON_EXISTING_ANTI_AFFINITY] });
    expect(filterOnce(interPodAffinityFilter, pi("w", { labels: { app: "web" } }), "n1", s)).toBeNull();
    expect(filterOnce(interPodAffinityFilter, pi("w", { labels: { app: "web" }, namespace: "other" }), "n3", s)).toBe("skip"); // term is namespaced
  });
  test("the first pod of a self-affine group may go anywhere with the topology label", () => {
    const first = pi("c", { labels: { app: "cache" }, affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("cache", zone)] } } });
    expect(filterOnce(interPodAffinityFilter, first, "n3", snap)).toBeNull();
    const s = cacheWith([...nodes, makeNode("bare")], [db]);
    expect(filterOnce(interPodAffinityFilter, first, "bare", s)).toMatchObject({ reasons: [ERR_REASON_AFFINITY] });
    // Not self-matching: no exception.
    const other = pi("c", { labels: { app: "x" }, affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("cache", zone)] } } });
    expect(filterOnce(interPodAffinityFilter, other, "n3", snap)).toMatchObject({ reasons: [ERR_REASON_AFFINITY] });
  });
  test("namespaceSelector terms see pods in matching namespaces", () => {
    const s = cacheWith(nodes, [makePod("db2", { nodeName: "n3", labels: { app: "db" }, namespace: "prod" })]);
    s.namespaceLabelsFn = (ns): Record<string, string> => (ns === "prod" ? { env: "prod" } : {});
    const p = pi("p", { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("db", host, { namespaceSelector: { matchLabels: { env: "prod" } } })] } } });
    expect(filterOnce(interPodAffinityFilter, p, "n3", s)).toBeNull();
    expect(filterOnce(interPodAffinityFilter, p, "n1", s)).toMatchObject({ reasons: [ERR_REASON_AFFINITY] });
  });
});

describe("InterPodAffinity score", () => {
  const plugin = interPodAffinityScore();
  test("preferred affinity (+10 per db pod in the zone) and anti-affinity (−5 per db pod on the host)", () => {
    const snap = cacheWith(nodes, [db]);
    const p = pi("p", {
      affinity: {
        podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term("db", zone) }] },
        podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, podAffinityTerm: term("db", host) }] },
      },
    });
    // raw n1 = 10 - 5 = 5, n2 = 10, n3 = 0 → min-max normalized
    expect(scoreAll(plugin, p, ["n1", "n2", "n3"], snap)).toEqual([50, 100, 0]);
  });
  test("placed pods' terms count for the incoming pod: required affinity weighs 1, preferred its weight", () => {
    const fan = makePod("fan", { nodeName: "n3", labels: { app: "fan" }, affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 7, podAffinityTerm: term("web", host) }] } } });
    const buddy = makePod("buddy", { nodeName: "n2", labels: { app: "buddy" }, affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("web", host)] } } });
    const hater = makePod("hater", { nodeName: "n1", labels: { app: "hater" }, affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 3, podAffinityTerm: term("web", zone) }] } } });
    const snap = cacheWith(nodes, [fan, buddy, hater]);
    // n1: -3 (zone z1), n2: +1 -3 = -2, n3: +7 → normalized over [-3, 7]
    expect(scoreAll(plugin, pi("w", { labels: { app: "web" } }), ["n1", "n2", "n3"], snap)).toEqual([0, 10, 100]);
    expect(scoreAll(plugin, pi("w", { labels: { app: "other" } }), ["n1", "n2", "n3"], snap)).toBeNull();
  });
});
