/**
 * @module test/api/lib
 * Helpers for the API compatibility tests: the compiled binary (rebuilt when older than the
 * sources), kubectl of a given version with its own discovery cache, kubectl running in the
 * background (get -w), and polling.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { REPO, kubectlBinary, type KiteServer, type KubectlResult } from "../lib/kite.ts";

const DIST = join(REPO, "dist", "kite");

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (e.name.endsWith(".ts") || e.name.endsWith(".json")) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds dist/kite when it is missing or older than src/, package.json or bun.lock. */
export function ensureCompiledBinary(): string {
  const srcTime = Math.max(newestMtime(join(REPO, "src")), statSync(join(REPO, "package.json")).mtimeMs, statSync(join(REPO, "bun.lock")).mtimeMs);
  if (!existsSync(DIST) || statSync(DIST).mtimeMs < srcTime) {
    const b = Bun.spawnSync(["bun", "run", "build"], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
    if (b.exitCode !== 0) throw new Error(`bun run build failed:\n${b.stderr.toString()}`);
  }
  return DIST;
}

export type Kubectl = (args: string[], opts?: { stdin?: string; env?: Record<string, string>; timeoutMs?: number }) => Promise<KubectlResult>;

/** kubectl `version` ("1.27" ...) against `server`, with a discovery cache of its own. */
export function kubectlFor(server: KiteServer, version: string): Kubectl {
  const cache = join(server.dataDir, `kubectl-cache-${version}`);
  return (args, opts = {}) => server.kubectl(["--cache-dir", cache, ...args], { ...opts, version });
}

export interface Background {
  proc: Subprocess;
  output(): string;
  /** Resolves once `pred(stdout, stderr)` holds (or rejects after `ms`). */
  waitFor(pred: (out: string, err: string) => boolean, ms?: number): Promise<string>;
  stop(): Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/**
 * kubectl in the background (get -w, wait): collects stdout and stderr until stopped. With
 * `-v=6` in args, stderr shows each response as it arrives, e.g. the informer's watch request
 * with `200 OK` once its headers came back (1.27: `...&watch=true 200 OK in 1 milliseconds`,
 * 1.33: `url="...&watch=true" status="200 OK"`).
 */
const running = new Set<Background>();

/** Stops every background kubectl still running (call from afterEach/afterAll so a failed test leaks nothing). */
export async function stopAllBackground(): Promise<void> {
  await Promise.all([...running].map((b) => b.stop()));
}

export function kubectlBackground(server: KiteServer, version: string, args: string[]): Background {
  const cache = join(server.dataDir, `kubectl-cache-${version}`);
  const proc = Bun.spawn([kubectlBinary(version), "--kubeconfig", server.kubeconfig, "--cache-dir", cache, ...args], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  let out = "";
  let err = "";
  const pump = async (s: ReadableStream<Uint8Array>, into: (t: string) => void) => {
    const dec = new TextDecoder();
    for await (const c of s) into(dec.decode(c, { stream: true }));
  };
  const done = Promise.all([pump(proc.stdout as ReadableStream<Uint8Array>, (t) => (out += t)), pump(proc.stderr as ReadableStream<Uint8Array>, (t) => (err += t))]);
  const bg: Background = {
    proc,
    output: () => out,
    async waitFor(pred, ms = 15_000) {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        if (pred(out, err)) return out;
        if (proc.exitCode !== null) break;
        await Bun.sleep(50);
      }
      if (pred(out, err)) return out;
      throw new Error(`kubectl ${args.join(" ")}: condition not met; stdout:\n${out}\nstderr:\n${err}`);
    },
    async stop() {
      if (proc.exitCode === null) proc.kill("SIGTERM");
      const t = setTimeout(() => proc.kill("SIGKILL"), 5000);
      await proc.exited;
      clearTimeout(t);
      await done;
      running.delete(bg);
      return { code: proc.exitCode, stdout: out, stderr: err };
    },
  };
  running.add(bg);
  return bg;
}

export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, ms = 10_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await Bun.sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

/** Lines of a kubectl table, split on runs of 2+ spaces. */
export function tableRows(out: string): string[][] {
  return out
    .trim()
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => l.trim().split(/\s{2,}/));
}
