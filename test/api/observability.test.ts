/**
 * Request logging and /metrics on a real `kite server --debug`: every request is logged at
 * debug level with method, path, user, code and latency, and /metrics serves Prometheus text
 * with kube-apiserver's request counter and latency histogram.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startServer, api, type KiteServer } from "../lib/kite.ts";
import { ensureCompiledBinary, eventually } from "./lib.ts";

let server: KiteServer;

beforeAll(async () => {
  if (!process.env.KITE_TEST_SOURCE) ensureCompiledBinary();
  server = await startServer({ args: ["--debug"] });
}, 180_000);

afterAll(async () => {
  await server?.stop();
});

test("each request is logged at debug level with method, path, user, code and latency", async () => {
  await api(server, "GET", "/api/v1/namespaces/default/configmaps?limit=7");
  await api(server, "GET", "/api/v1/namespaces/default/configmaps/does-not-exist");
  await fetch(`${server.url}/api/v1/namespaces`, { headers: { Authorization: "Bearer wrong" }, tls: { rejectUnauthorized: false } } as RequestInit);
  const line = (re: RegExp) => eventually(async () => server.log().split("\n").find((l) => re.test(l)), 5000, `log line ${re}`);
  expect(await line(/DEBUG\s+api request method=GET path="?\/api\/v1\/namespaces\/default\/configmaps\?limit=7"? user=system:admin code=200 ms=[\d.]+/)).toBeString();
  expect(await line(/DEBUG\s+api request method=GET path="?\/api\/v1\/namespaces\/default\/configmaps\/does-not-exist"? user=system:admin code=404 ms=[\d.]+/)).toBeString();
  expect(await line(/DEBUG\s+api request method=GET path="?\/api\/v1\/namespaces"? user=anonymous code=401 ms=[\d.]+/)).toBeString();
});

test("/metrics is Prometheus text with request counts by verb/resource/code and latency histograms", async () => {
  const scrape = async () => {
    const res = await api(server, "GET", "/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
    const text = await res.text();
    const value = (name: string, labels: string) => {
      const l = text.split("\n").find((x) => x.startsWith(`${name}{${labels}} `));
      return l === undefined ? 0 : Number(l.slice(l.lastIndexOf(" ") + 1));
    };
    return { text, value };
  };
  // limitranges: a kind no controller writes, so the deltas are this test's requests only.
  const pt = (verb: string, scope: string) => `verb="${verb}",group="",version="v1",resource="limitranges",subresource="",scope="${scope}"`;
  const before = await scrape();
  for (let i = 0; i < 3; i++) {
    const r = await api(server, "POST", "/api/v1/namespaces/default/limitranges", { apiVersion: "v1", kind: "LimitRange", metadata: { name: `m${i}` }, spec: { limits: [{ type: "Container", max: { cpu: "2" } }] } });
    expect(r.status).toBe(201);
  }
  await api(server, "GET", "/api/v1/namespaces/default/limitranges/m0");
  await api(server, "GET", "/api/v1/namespaces/default/limitranges/m0");
  await api(server, "GET", "/api/v1/namespaces/default/limitranges/nope");
  await api(server, "GET", "/api/v1/limitranges");
  await api(server, "PATCH", "/api/v1/namespaces/default/limitranges/m0", { metadata: { labels: { a: "b" } } }, { "Content-Type": "application/merge-patch+json" });
  const after = await scrape();
  const delta = (name: string, labels: string) => after.value(name, labels) - before.value(name, labels);
  expect(after.text).toContain("# TYPE apiserver_request_total counter");
  expect(after.text).toContain("# TYPE apiserver_request_duration_seconds histogram");
  expect(delta("apiserver_request_total", `${pt("POST", "namespace")},code="201"`)).toBe(3);
  expect(delta("apiserver_request_total", `${pt("GET", "resource")},code="200"`)).toBe(2);
  expect(delta("apiserver_request_total", `${pt("GET", "resource")},code="404"`)).toBe(1);
  expect(delta("apiserver_request_total", `${pt("LIST", "cluster")},code="200"`)).toBe(1);
  expect(delta("apiserver_request_total", `${pt("PATCH", "resource")},code="200"`)).toBe(1);
  expect(delta("apiserver_request_duration_seconds_count", pt("POST", "namespace"))).toBe(3);
  expect(delta("apiserver_request_duration_seconds_bucket", `${pt("POST", "namespace")},le="+Inf"`)).toBe(3);
  expect(delta("apiserver_request_duration_seconds_sum", pt("POST", "namespace"))).toBeGreaterThan(0);
  // Buckets are cumulative.
  const buckets = after.text.split("\n").filter((l) => l.startsWith(`apiserver_request_duration_seconds_bucket{${pt("POST", "namespace")}`)).map((l) => Number(l.split(" ").at(-1)));
  expect(buckets.length).toBeGreaterThan(5);
  expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
  expect(Number(/^process_resident_memory_bytes (\d+)$/m.exec(after.text)?.[1])).toBeGreaterThan(1e6);
});
