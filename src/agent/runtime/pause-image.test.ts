import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hostPauseArch, type PauseArch, pauseElf, pauseRootfs } from "./pause-image.ts";

const dir = mkdtempSync("/tmp/kite-pause-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** How to run an ELF of `arch` here: natively, under qemu-user, or not at all. */
function runner(arch: PauseArch): string[] | null {
  if (arch === hostPauseArch()) return [];
  const qemu = Bun.which(arch === "aarch64" ? "qemu-aarch64-static" : "qemu-x86_64-static");
  return qemu ? [qemu] : null;
}

describe.each<PauseArch>(["x86_64", "aarch64"])("pause ELF for %s", (arch) => {
  const elf = pauseElf(arch);

  test("is a small static ELF for the right machine", () => {
    expect([...elf.slice(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
    const v = new DataView(elf.buffer);
    expect(v.getUint16(18, true)).toBe(arch === "x86_64" ? 62 : 183);
    expect(Number(v.getBigUint64(24, true))).toBe(0x400078); // entry just after the headers
    expect(elf.length).toBeLessThan(512);
  });

  const run = runner(arch);
  test.skipIf(run === null)("blocks, survives SIGCHLD, and exits 0 on SIGTERM and on SIGINT", async () => {
    const path = join(dir, `pause-${arch}`);
    writeFileSync(path, elf);
    chmodSync(path, 0o755);
    for (const sig of ["SIGTERM", "SIGINT"] as const) {
      const p = Bun.spawn([...run!, path], { stdout: "ignore", stderr: "pipe" });
      try {
        await Bun.sleep(300);
        expect(p.exitCode).toBeNull(); // still blocking
        p.kill("SIGCHLD");
        await Bun.sleep(50);
        expect(p.exitCode).toBeNull();
        p.kill(sig);
        const code = await Promise.race([p.exited, Bun.sleep(5000).then(() => "timeout")]);
        expect(code).toBe(0);
        expect(p.signalCode).toBeNull();
      } finally {
        p.kill("SIGKILL");
      }
    }
  });
});

test("rootfs tarball holds one executable /pause", async () => {
  const tarball = join(dir, "pause.tar");
  writeFileSync(tarball, pauseRootfs("x86_64"));
  const out = Bun.spawnSync(["tar", "-tvf", tarball]).stdout.toString().trim();
  expect(out).toMatch(/^-rwxr-xr-x .* pause$/);
  expect(out.split("\n")).toHaveLength(1);
});

test("unsupported architectures are refused", () => {
  expect(() => hostPauseArch("ia32")).toThrow(/no pause program/);
  expect(hostPauseArch("x64")).toBe("x86_64");
  expect(hostPauseArch("arm64")).toBe("aarch64");
});
