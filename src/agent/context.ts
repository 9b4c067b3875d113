/**
 * @module agent/context
 * Everything pod workers share, created once by agent.ts: the engine and its cache,
 * the API client and event recorder, config/token sources, probes, back-offs, the
 * image manager, the engine mutation limiter, node facts and tunables.
 */
import type { KObj, KubeClient } from "../client/client.ts";
import type { EventRecorder } from "../client/events.ts";
import type { Backoff } from "./backoff.ts";
import type { ConfigSource } from "./config-source.ts";
import type { ImageManager } from "./images.ts";
import type { Limiter } from "./limiter.ts";
import type { Prober } from "./prober.ts";
import type { RuntimeCache } from "./runtime-cache.ts";
import type { ContainerRuntime } from "./runtime/types.ts";
import type { TokenSource } from "./volumes/tokens.ts";

export interface AgentTunables {
  /** How often API-backed volumes (configMap, secret, downwardAPI, projected) are re-rendered. */
  volumeRefreshMs: number;
  /** Engine relist period. */
  relistMs: number;
}

export interface AgentContext {
  nodeName: string;
  runtime: ContainerRuntime;
  runtimeName: "podman" | "docker";
  cache: RuntimeCache;
  client: KubeClient;
  recorder: EventRecorder;
  source: ConfigSource;
  tokens: TokenSource;
  prober: Prober;
  /** Container restart back-off (CrashLoopBackOff). */
  backoff: Backoff;
  images: ImageManager;
  limiter: Limiter;
  /** <dataDir>/agent/pods */
  podsDir: string;
  hostIPs(): string[];
  allocatable(): Record<string, string>;
  canMount: boolean;
  tunables: AgentTunables;
}

/** `spec.containers{name}` / `spec.initContainers{name}`, the events' fieldPath. */
export function fieldPath(type: "init" | "regular", name: string): string {
  return type === "init" ? `spec.initContainers{${name}}` : `spec.containers{${name}}`;
}

export function podRef(pod: KObj): string {
  return `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;
}
