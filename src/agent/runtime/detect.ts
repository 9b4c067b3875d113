/**
 * @module agent/runtime/detect
 * Picks the container engine for the agent: the preferred one if it works,
 * else podman, else docker. "Works" means `<cli> version` answers with an
 * engine version (for docker: the daemon is reachable), checked with info().
 */
import type { EngineOptions } from "./base.ts";
import { DockerRuntime } from "./docker.ts";
import { PodmanRuntime } from "./podman.ts";
import { type ContainerRuntime, type RuntimeInfo, type RuntimeName, RuntimeUnavailableError } from "./types.ts";

export interface DetectOptions extends Omit<EngineOptions, "binary"> {
  /** Binary per engine, when not the plain name on PATH. */
  binaries?: Partial<Record<RuntimeName, string>>;
}

export function createRuntime(name: RuntimeName, opts: DetectOptions = {}): ContainerRuntime {
  const o: EngineOptions = { ...opts, binary: opts.binaries?.[name] };
  return name === "podman" ? new PodmanRuntime(o) : new DockerRuntime(o);
}

/**
 * Resolves with the first working engine and its info. With `preferred`, only
 * that engine is tried when `strict` is set; otherwise it is tried first.
 * Throws RuntimeUnavailableError listing why each candidate failed.
 */
export async function detectRuntime(
  preferred?: RuntimeName,
  opts: DetectOptions & { strict?: boolean } = {},
): Promise<{ runtime: ContainerRuntime; info: RuntimeInfo }> {
  const order: RuntimeName[] = preferred
    ? opts.strict
      ? [preferred]
      : [preferred, ...(["podman", "docker"] as const).filter((n) => n !== preferred)]
    : ["podman", "docker"];
  const why: string[] = [];
  for (const name of order) {
    const rt = createRuntime(name, opts);
    try {
      return { runtime: rt, info: await rt.info() };
    } catch (e) {
      why.push(`${name}: ${(e as Error).message}`);
    }
  }
  throw new RuntimeUnavailableError(`no working container runtime (${why.join("; ")})`);
}
