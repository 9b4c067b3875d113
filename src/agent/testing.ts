/**
 * @module agent/testing
 * Helpers for the agent's unit tests: a KubeClient over an in-memory object map (GET
 * only, 404 for the rest) and a pod builder. Not used by the agent itself.
 */
import { KubeClient, type KObj } from "../client/client.ts";

/** A client whose GETs answer from `objects` keyed by API path (e.g. /api/v1/namespaces/ns/configmaps/x). */
export function fakeGetClient(
  objects: Map<string, KObj>,
  calls: string[] = [],
  other?: (method: string, path: string, body: KObj | undefined) => Response | undefined,
): KubeClient {
  return new KubeClient({
    baseUrl: "http://fake",
    fetch: async (input, init) => {
      const url = new URL(String(input));
      calls.push(`${init?.method ?? "GET"} ${url.pathname}`);
      const handled = other?.(init?.method ?? "GET", url.pathname, init?.body ? JSON.parse(String(init.body)) : undefined);
      if (handled) return handled;
      const o = (init?.method ?? "GET") === "GET" ? objects.get(url.pathname) : undefined;
      if (!o) return new Response(JSON.stringify({ kind: "Status", code: 404, reason: "NotFound", message: "not found" }), { status: 404 });
      return new Response(JSON.stringify(o), { status: 200 });
    },
  });
}

export function testPod(spec: KObj, meta: KObj = {}): KObj {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p", namespace: "ns", uid: "0123abcd-aaaa-bbbb-cccc-000000000000", labels: { app: "x" }, annotations: { note: 'a "q"' }, ...meta },
    spec: { nodeName: "n1", serviceAccountName: "default", restartPolicy: "Always", ...spec },
    status: {},
  };
}
