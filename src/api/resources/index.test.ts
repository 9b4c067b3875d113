import { describe, expect, test } from "bun:test";
import { builtinResources } from "./index.ts";
import type { Obj, ResourceDef } from "../registry/types.ts";
import { memRegistry, testCtx } from "./core/pods/testing.ts";

/** Minimal valid object of each kind that has a required-field contract, to smoke every def end to end. */
const samples: Record<string, Obj> = {
  "/Namespace": { metadata: { name: "team" } },
  "/Pod": { metadata: { name: "p", namespace: "default" }, spec: { containers: [{ name: "c", image: "busybox" }] } },
  "/Service": { metadata: { name: "s", namespace: "default" }, spec: { ports: [{ port: 80 }] } },
  "/ConfigMap": { metadata: { name: "c", namespace: "default" }, data: { a: "1" } },
  "/Secret": { metadata: { name: "s", namespace: "default" }, stringData: { a: "1" } },
  "apps/Deployment": { metadata: { name: "d", namespace: "default" }, spec: { selector: { matchLabels: { a: "b" } }, template: { metadata: { labels: { a: "b" } }, spec: { containers: [{ name: "c", image: "x" }] } } } },
  "batch/Job": { metadata: { name: "j", namespace: "default", uid: "u" }, spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "x" }] } } } },
  "batch/CronJob": { metadata: { name: "cj", namespace: "default" }, spec: { schedule: "@hourly", jobTemplate: { spec: { template: { spec: { restartPolicy: "OnFailure", containers: [{ name: "c", image: "x" }] } } } } } },
};

describe("builtinResources", () => {
  const defs = builtinResources({ defaultUnreachableTolerationSeconds: 300 });
  const key = (d: ResourceDef) => `${d.group}/${d.kind}`;

  test("every kind is unique per group/version/plural and well formed", () => {
    const seen = new Set<string>();
    for (const d of defs) {
      const k = `${d.group}/${d.version}/${d.plural}`;
      expect(seen.has(k)).toBe(false);
      seen.add(k);
      expect(d.plural).toMatch(/^[a-z]+$/);
      expect(d.singular).toMatch(/^[a-z]+$/);
      expect(d.kind).toMatch(/^[A-Z][A-Za-z]+$/);
      if (d.columns) {
        expect(d.columns[0]!.format === "name" || d.columns[0]!.name === "Last Seen").toBe(true);
      }
      if (d.virtual) expect(d.verbs).toEqual(["create"]);
    }
    expect(defs.length).toBe(39);
    expect(defs.some((d) => d.plural === "tokenreviews")).toBe(false);
    expect(builtinResources({ defaultUnreachableTolerationSeconds: 300, verifyToken: async () => null }).some((d) => d.plural === "tokenreviews")).toBe(true);
  });

  test("short names match upstream for the kinds kubectl users type", () => {
    const short = Object.fromEntries(defs.filter((d) => d.shortNames?.length).map((d) => [d.plural, d.shortNames!.join(",")]));
    expect(short).toMatchObject({ namespaces: "ns", nodes: "no", pods: "po", services: "svc", endpoints: "ep", configmaps: "cm", serviceaccounts: "sa", events: "ev", persistentvolumes: "pv", persistentvolumeclaims: "pvc", resourcequotas: "quota", limitranges: "limits", deployments: "deploy", replicasets: "rs", daemonsets: "ds", statefulsets: "sts", cronjobs: "cj", storageclasses: "sc", poddisruptionbudgets: "pdb", priorityclasses: "pc", ingresses: "ing", customresourcedefinitions: "crd,crds" });
    const all = defs.filter((d) => d.categories?.includes("all")).map((d) => d.plural).sort();
    expect(all).toEqual(["cronjobs", "daemonsets", "deployments", "jobs", "pods", "replicasets", "services", "statefulsets"]);
  });

  test("every table renders a row of the right width even for a bare object", () => {
    for (const d of defs) {
      if (!d.cells) continue;
      const cells = d.cells({ metadata: { name: "x" } }, Date.now());
      expect({ kind: d.kind, n: cells.length }).toEqual({ kind: d.kind, n: d.columns!.length });
    }
  });

  test("each sample goes through defaults → prepareForCreate → validate cleanly and renders a table row", async () => {
    for (const [k, sample] of Object.entries(samples)) {
      const def = defs.find((d) => key(d) === k);
      expect(def).toBeDefined();
      const obj = structuredClone(sample);
      obj.metadata.creationTimestamp = "2025-01-01T00:00:00Z";
      def!.defaults?.(obj);
      await def!.prepareForCreate?.(obj, testCtx(), memRegistry());
      expect({ k, causes: def!.validate?.(obj, testCtx()) ?? [] }).toEqual({ k, causes: [] });
      const cells = def!.cells?.(obj, Date.parse("2025-01-01T00:01:00Z"));
      if (cells) expect(cells.length).toBe(def!.columns!.length);
    }
  });
});
