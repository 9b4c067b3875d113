/**
 * The Raspberry Pi build: `bun run build:arm64` produces an aarch64 executable that runs
 * (under qemu-user here) on Pi 3/4/5-class cores.
 */
import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "../lib/kite.ts";

test("dist/kite-linux-arm64 builds and `--version` runs under qemu (cortex-a53 and cortex-a72)", () => {
  const b = Bun.spawnSync(["bun", "run", "build:arm64"], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
  if (b.exitCode !== 0) throw new Error(`arm64 build failed: ${b.stderr.toString()}`);
  const bin = join(REPO, "dist", "kite-linux-arm64");
  expect(existsSync(bin)).toBe(true);
  const file = Bun.spawnSync(["file", "-b", bin], { stdout: "pipe" });
  if (file.exitCode === 0) expect(file.stdout.toString()).toContain("aarch64");
  const qemu = Bun.which("qemu-aarch64-static") ?? Bun.which("qemu-aarch64");
  if (!qemu) throw new Error("qemu-user-static is not installed (test/prereqs.sh installs it)");
  for (const cpu of ["cortex-a53", "cortex-a72"]) {
    const r = Bun.spawnSync([qemu, "-cpu", cpu, "-L", "/usr/aarch64-linux-gnu", bin, "--version"], { stdout: "pipe", stderr: "pipe" });
    expect(r.stderr.toString()).toBe("");
    expect(r.stdout.toString()).toMatch(/^kite version v\d+\.\d+\.\d+/);
  }
}, 300_000);
