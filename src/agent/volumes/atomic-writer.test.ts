import { afterEach, expect, test } from "bun:test";
import { lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { PayloadPathError, type Payload, writeAtomic } from "./atomic-writer.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync("/tmp/kite-aw-");
  dirs.push(d);
  return d;
};
const enc = (s: string) => new TextEncoder().encode(s);
const payload = (o: Record<string, string>, mode = 0o644): Payload => new Map(Object.entries(o).map(([k, v]) => [k, { data: enc(v), mode }]));

test("writes through ..data symlinks, swaps atomically, removes stale names", () => {
  const d = tmp();
  expect(writeAtomic(d, payload({ a: "1", "sub/b": "2" }))).toBe(true);
  expect(readFileSync(join(d, "a"), "utf8")).toBe("1");
  expect(readFileSync(join(d, "sub/b"), "utf8")).toBe("2");
  expect(lstatSync(join(d, "a")).isSymbolicLink()).toBe(true);
  expect(readlinkSync(join(d, "a"))).toBe("../data/a".replace("../data", "..data"));
  const first = readlinkSync(join(d, "..data"));

  expect(writeAtomic(d, payload({ a: "1", "sub/b": "2" }))).toBe(false);
  expect(readlinkSync(join(d, "..data"))).toBe(first);

  expect(writeAtomic(d, payload({ a: "changed", c: "3" }))).toBe(true);
  expect(readFileSync(join(d, "a"), "utf8")).toBe("changed");
  expect(readFileSync(join(d, "c"), "utf8")).toBe("3");
  const names = readdirSync(d).sort();
  expect(names.filter((n) => !n.startsWith(".."))).toEqual(["a", "c"]);
  expect(names.filter((n) => n.startsWith("..")).length).toBe(2); // ..data and one timestamp dir
  expect(readlinkSync(join(d, "..data"))).not.toBe(first);
});

test("modes are applied and a mode change rewrites", () => {
  const d = tmp();
  writeAtomic(d, payload({ k: "v" }, 0o400));
  expect(statSync(join(d, "k")).mode & 0o777).toBe(0o400);
  expect(writeAtomic(d, payload({ k: "v" }, 0o644))).toBe(true);
  expect(statSync(join(d, "k")).mode & 0o777).toBe(0o644);
});

test("paths escaping the volume are refused", () => {
  const d = tmp();
  for (const p of ["../x", "/etc/passwd", "a/../../b", "..data/x", ""]) {
    expect(() => writeAtomic(d, payload({ [p]: "x" }))).toThrow(PayloadPathError);
  }
});
