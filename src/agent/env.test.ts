import { expect, test } from "bun:test";
import { ConfigSource } from "./config-source.ts";
import { EnvError, expandVars, resolveEnv } from "./env.ts";
import { fakeGetClient, testPod } from "./testing.ts";
import { formatMap, podFieldValue } from "./fieldpath.ts";

test("$(VAR) expansion: defined, undefined, escaped", () => {
  const v = new Map([["A", "1"], ["B", "two"]]);
  expect(expandVars("x$(A)y$(B)", v)).toBe("x1ytwo");
  expect(expandVars("$(C) $$(A) $$ $x $(", v)).toBe("$(C) $(A) $ $x $(");
  expect(expandVars("plain", v)).toBe("plain");
});

function source() {
  const objects = new Map<string, Record<string, unknown>>([
    ["/api/v1/namespaces/ns/configmaps/cm", { data: { k: "cv", "bad=key": "z", OTHER: "o" } }],
    ["/api/v1/namespaces/ns/secrets/s", { data: { pw: Buffer.from("s3cret").toString("base64") } }],
  ]);
  const calls: string[] = [];
  return { src: new ConfigSource(fakeGetClient(objects, calls)), calls };
}

test("env and envFrom from every source, later entries win, one GET per object", async () => {
  const { src, calls } = source();
  const container = {
    name: "c",
    resources: { limits: { memory: "64Mi" } },
    envFrom: [{ configMapRef: { name: "cm" }, prefix: "CM_" }, { secretRef: { name: "s" } }],
    env: [
      { name: "A", value: "a" },
      { name: "B", value: "$(A)-$(pw)-$(NOPE)" },
      { name: "K", valueFrom: { configMapKeyRef: { name: "cm", key: "k" } } },
      { name: "PW", valueFrom: { secretKeyRef: { name: "s", key: "pw" } } },
      { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "APP", valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      { name: "IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
      { name: "MEM", valueFrom: { resourceFieldRef: { resource: "limits.memory", divisor: "1Mi" } } },
      { name: "OPT", valueFrom: { secretKeyRef: { name: "missing", key: "x", optional: true } } },
      { name: "A", value: "override" },
    ],
  };
  const pod = testPod({ containers: [container] });
  const r = await resolveEnv({ pod, container, addresses: { podIPs: ["10.1.2.3"], hostIPs: ["127.0.0.1"] }, source: src, allocatable: {} });
  const env = Object.fromEntries(r.env.map((e) => [e.name, e.value]));
  expect(env).toEqual({ CM_k: "cv", CM_OTHER: "o", pw: "s3cret", A: "override", B: "a-s3cret-$(NOPE)", K: "cv", PW: "s3cret", POD: "p", APP: "x", IP: "10.1.2.3", MEM: "64" });
  expect(r.invalidNames).toEqual(["CM_bad=key"]);
  expect(calls.filter((c) => c.includes("/configmaps/cm")).length).toBe(1);
});

test("missing objects and keys are EnvError", async () => {
  const { src } = source();
  const run = (env: unknown[]) => {
    const container = { name: "c", env };
    return resolveEnv({ pod: testPod({ containers: [container] }), container, addresses: { podIPs: [], hostIPs: [] }, source: src, allocatable: {} });
  };
  await expect(run([{ name: "X", valueFrom: { configMapKeyRef: { name: "nope", key: "k" } } }])).rejects.toThrow(EnvError);
  await expect(run([{ name: "X", valueFrom: { configMapKeyRef: { name: "cm", key: "nokey" } } }])).rejects.toThrow(/couldn't find key nokey in ConfigMap ns\/cm/);
  await expect(run([{ name: "X", valueFrom: { fieldRef: { fieldPath: "spec.bogus" } } }])).rejects.toThrow(EnvError);
});

test("field paths for volumes format whole label maps", () => {
  const pod = testPod({});
  expect(podFieldValue(pod, "metadata.annotations", { podIPs: [], hostIPs: [] }, true)).toBe('note="a \\"q\\""');
  expect(formatMap({ b: "2", a: "1" })).toBe('a="1"\nb="2"');
  expect(() => podFieldValue(pod, "metadata.labels", { podIPs: [], hostIPs: [] })).toThrow();
});
