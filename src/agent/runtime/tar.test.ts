import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tar } from "./tar.ts";

const dir = mkdtempSync("/tmp/kite-tar-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("GNU tar extracts files, modes, dirs, symlinks and long paths exactly", () => {
  const big = new Uint8Array(1500).map((_, i) => i % 251);
  const long = `${"d".repeat(60)}/${"e".repeat(60)}/file.txt`;
  const archive = tar([
    { type: "dir", path: "bin" },
    { type: "dir", path: "tmp", mode: 0o1777 },
    { type: "file", path: "bin/tool", data: big, mode: 0o755 },
    { type: "symlink", path: "bin/alias", target: "tool" },
    { type: "dir", path: long.slice(0, 60) },
    { type: "dir", path: long.slice(0, 121) },
    { type: "file", path: long, data: new TextEncoder().encode("deep\n") },
  ]);
  expect(archive.length % 512).toBe(0);
  const file = join(dir, "a.tar");
  writeFileSync(file, archive);
  const out = join(dir, "out");
  Bun.spawnSync(["mkdir", "-p", out]);
  const r = Bun.spawnSync(["tar", "-xpf", file, "-C", out]);
  expect(r.stderr.toString()).toBe("");
  expect(r.exitCode).toBe(0);
  expect(new Uint8Array(readFileSync(join(out, "bin/tool")))).toEqual(big);
  expect(statSync(join(out, "bin/tool")).mode & 0o777).toBe(0o755);
  expect(statSync(join(out, "tmp")).mode & 0o7777).toBe(0o1777);
  expect(readlinkSync(join(out, "bin/alias"))).toBe("tool");
  expect(readFileSync(join(out, long), "utf8")).toBe("deep\n");
});

test("a path that cannot be split for ustar is refused", () => {
  expect(() => tar([{ type: "file", path: "x".repeat(200), data: new Uint8Array() }])).toThrow(RangeError);
});
