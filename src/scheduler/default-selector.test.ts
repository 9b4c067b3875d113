import { describe, expect, test } from "bun:test";
import { defaultSelector } from "./default-selector.ts";
import { pi } from "./testing.ts";

const svc = (ns: string, selector: Record<string, string> | undefined) => ({ metadata: { namespace: ns, name: "s" }, spec: selector ? { selector } : {} });

describe("defaultSelector", () => {
  const rs = { metadata: { name: "web-abc" }, spec: { selector: { matchLabels: { app: "web", "pod-template-hash": "abc" } } } };
  const src = (services: object[]) => ({ services: () => services as never, controller: (kind: string, _ns: string, name: string) => (kind === "ReplicaSet" && name === "web-abc" ? (rs as never) : undefined) });
  const pod = pi("p", { labels: { app: "web", tier: "fe", "pod-template-hash": "abc" }, owner: { kind: "ReplicaSet", name: "web-abc" } });

  test("merges the selectors of Services selecting the pod with its ReplicaSet's", () => {
    const sel = defaultSelector(pod, src([svc("default", { tier: "fe" }), svc("default", { app: "other" }), svc("default", undefined)]));
    expect(sel?.toString()).toBe("app=web,pod-template-hash=abc,tier=fe");
  });
  test("no owner and no Service: no default spreading", () => {
    expect(defaultSelector(pi("bare", { labels: { app: "web" } }), src([]))).toBeNull();
    expect(defaultSelector(pi("orphan", { labels: { app: "web" }, owner: { kind: "ReplicaSet", name: "gone" } }), src([]))).toBeNull();
    expect(defaultSelector(pi("job", { labels: { app: "web" }, owner: { kind: "Job", name: "web-abc", apiVersion: "batch/v1" } }), src([]))?.toString()).toBeUndefined();
  });
  test("a Service alone is enough", () => {
    expect(defaultSelector(pi("bare", { labels: { app: "web" } }), src([svc("default", { app: "web" })]))?.toString()).toBe("app=web");
  });
});
