/**
 * @module api/metrics
 * Request counters and latency histograms, exposed at /metrics in Prometheus text format
 * with kube-apiserver's metric names where they exist.
 */
import type { RequestInfo } from "./http/request-info.ts";

const VERBS: Record<string, string> = { get: "GET", list: "LIST", watch: "WATCH", create: "POST", update: "PUT", patch: "PATCH", delete: "DELETE", deletecollection: "DELETE" };
const CONNECT = new Set(["exec", "attach", "portforward", "proxy"]);

function metricVerb(info: RequestInfo): string {
  if (!info.isResourceRequest) return info.verb.toUpperCase();
  if (info.subresource && CONNECT.has(info.subresource)) return "CONNECT";
  return VERBS[info.verb] ?? info.verb.toUpperCase();
}

/** Non-resource paths with their variable tail cut (bounded label values): /openapi/v3/apis/apps/v1 -> /openapi/v3. */
function nonResourcePath(path: string): string {
  const parts = path.split("/");
  if (parts[1] === "openapi") return parts.slice(0, 3).join("/");
  if (parts[1] === "apis" && parts.length > 2) return "/apis/{group}" + (parts.length > 3 ? "/{version}" : "");
  return parts.length > 3 ? parts.slice(0, 3).join("/") : path;
}

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

interface Hist {
  counts: number[];
  sum: number;
  count: number;
}

export class Metrics {
  private requests = new Map<string, number>();
  private latency = new Map<string, Hist>();
  private gauges = new Map<string, () => number>();
  readonly started = Date.now();

  /**
   * One finished request, labelled like kube-apiserver's apiserver_request_total: verb (GET,
   * LIST, WATCH, POST, PUT, PATCH, DELETE), group, version, resource, subresource, scope and
   * code. Watches are counted but kept out of the latency histogram (long-running).
   */
  observeRequest(info: RequestInfo, code: number, seconds: number) {
    const verb = metricVerb(info);
    const scope = !info.isResourceRequest ? "" : info.name ? "resource" : info.namespace ? "namespace" : "cluster";
    const base = info.isResourceRequest
      ? `verb="${verb}",group="${info.group}",version="${info.version}",resource="${info.resource ?? ""}",subresource="${info.subresource ?? ""}",scope="${scope}"`
      : `verb="${verb}",group="",version="",resource="",subresource="",scope="",path="${nonResourcePath(info.path)}"`;
    const k = `${base},code="${code}"`;
    this.requests.set(k, (this.requests.get(k) ?? 0) + 1);
    if (verb === "WATCH" || verb === "CONNECT") return;
    let h = this.latency.get(base);
    if (!h) this.latency.set(base, (h = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) h.counts[i]!++;
    h.sum += seconds;
    h.count++;
  }

  gauge(name: string, fn: () => number) {
    this.gauges.set(name, fn);
  }

  render(): string {
    const lines: string[] = [];
    lines.push("# HELP apiserver_request_total Counter of apiserver requests broken out for each verb, resource and HTTP response code.");
    lines.push("# TYPE apiserver_request_total counter");
    for (const [k, v] of this.requests) lines.push(`apiserver_request_total{${k}} ${v}`);
    lines.push("# HELP apiserver_request_duration_seconds Response latency distribution in seconds for each verb and resource.");
    lines.push("# TYPE apiserver_request_duration_seconds histogram");
    for (const [k, h] of this.latency) {
      BUCKETS.forEach((b, i) => lines.push(`apiserver_request_duration_seconds_bucket{${k},le="${b}"} ${h.counts[i]}`));
      lines.push(`apiserver_request_duration_seconds_bucket{${k},le="+Inf"} ${h.count}`);
      lines.push(`apiserver_request_duration_seconds_sum{${k}} ${h.sum}`);
      lines.push(`apiserver_request_duration_seconds_count{${k}} ${h.count}`);
    }
    const mem = process.memoryUsage();
    lines.push("# TYPE process_resident_memory_bytes gauge", `process_resident_memory_bytes ${mem.rss}`);
    lines.push("# TYPE process_start_time_seconds gauge", `process_start_time_seconds ${Math.floor(this.started / 1000)}`);
    for (const [name, fn] of this.gauges) lines.push(`# TYPE ${name} gauge`, `${name} ${fn()}`);
    return lines.join("\n") + "\n";
  }
}
