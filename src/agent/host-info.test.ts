import { expect, test } from "bun:test";
import { goArch, hostFacts, meminfo, osImage, pressure } from "./host-info.ts";

test("parsers", () => {
  expect(goArch("x64")).toBe("amd64");
  expect(goArch("arm64")).toBe("arm64");
  expect(goArch("arm")).toBe("arm");
  expect(meminfo("MemTotal", "MemTotal:       1024 kB\nMemFree: 2 kB\n")).toBe(1024 * 1024);
  expect(meminfo("Nope", "MemTotal: 1 kB")).toBe(0);
  expect(osImage('NAME="X"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')).toBe("Debian GNU/Linux 12 (bookworm)");
});

test("this host's facts are plausible", () => {
  const f = hostFacts("/tmp");
  expect(f.cpus).toBeGreaterThan(0);
  expect(f.memoryBytes).toBeGreaterThan(64 * 1024 * 1024);
  expect(f.disk.totalBytes).toBeGreaterThan(0);
  expect(f.kernelVersion).toMatch(/^\d+\.\d+/);
  expect(f.bootID).toMatch(/^[0-9a-f-]{36}$/);
  expect(typeof pressure("/tmp").memory).toBe("boolean");
});
