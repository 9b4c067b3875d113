/**
 * @module test/agent/lib
 * Shared set-up of the agent's end-to-end tests: a real `kite server`, an admin
 * KubeClient over its HTTPS port, podman (test containers.conf) or a private dockerd
 * with the test image, an in-process agent, pod helpers, and label-filtered clean-up
 * of everything a node left on the engine.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { KubeClient, type KObj } from "../../src/client/client.ts";
import { R } from "../../src/client/resources.ts";
import { createRuntime } from "../../src/agent/runtime/detect.ts";
import { type ContainerRuntime, LABELS } from "../../src/agent/runtime/types.ts";
import { adminToken, type KiteServer } from "../lib/kite.ts";

export function adminClient(server: KiteServer): KubeClient {
  const ca = readFileSync(join(server.dataDir, "server", "tls", "ca.crt"), "utf8");
  return new KubeClient({
    baseUrl: server.url,
    token: adminToken(server),
    fetch: (input, init) => fetch(input, { ...init, tls: { ca } } as RequestInit),
  });
}

export function engine(name: "podman" | "docker", env: Record<string, string>): ContainerRuntime {
  return createRuntime(name, { env });
}

/** Removes every sandbox and container this node left on the engine. */
export async function cleanupNode(rt: ContainerRuntime, nodeName: string): Promise<void> {
  const filter = { [LABELS.nodeName]: nodeName };
  for (const s of await rt.listSandboxes(filter).catch(() => [])) await rt.removeSandbox(s.id).catch(() => {});
  for (const c of await rt.listContainers(filter).catch(() => [])) await rt.removeContainer(c.id).catch(() => {});
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 90_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await Bun.sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}

export async function getPod(client: KubeClient, ns: string, name: string): Promise<KObj | null> {
  return client.getOrNull(R.pods, ns, name);
}

export function condition(pod: KObj | null, type: string): string | undefined {
  return ((pod?.status?.conditions ?? []) as KObj[]).find((c) => c.type === type)?.status;
}

export async function podEvents(client: KubeClient, ns: string, name: string): Promise<KObj[]> {
  const list = await client.list(R.events, ns, { fieldSelector: `involvedObject.name=${name}` });
  return list.items as KObj[];
}
