import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { readdir, readFile, stat } from "node:fs/promises";
import { readFileIfExists, writeFileAtomic } from "./files.ts";
import { withTempDir } from "./testutil.ts";

describe("writeFileAtomic", () => {
  test("replaces content, sets the mode, leaves no temporary files", () =>
    withTempDir(async (dir) => {
      const p = join(dir, "a", "b", "secret.key");
      await writeFileAtomic(p, "one", 0o600);
      await writeFileAtomic(p, "two", 0o640);
      expect(await readFile(p, "utf8")).toBe("two");
      expect((await stat(p)).mode & 0o777).toBe(0o640);
      expect((await stat(join(dir, "a", "b"))).mode & 0o777).toBe(0o700);
      expect(await readdir(join(dir, "a", "b"))).toEqual(["secret.key"]);
    }));

  test("a failed rename leaves what was there and no temporary file", () =>
    withTempDir(async (dir) => {
      // Renaming a file over a non-empty directory fails after the temp file was written and synced.
      const blocked = join(dir, "blocked");
      await writeFileAtomic(join(blocked, "x"), "x", 0o600);
      await expect(writeFileAtomic(blocked, "new", 0o600)).rejects.toThrow();
      expect(await readdir(dir)).toEqual(["blocked"]);
      expect(await readFile(join(blocked, "x"), "utf8")).toBe("x");
    }));

  test("readFileIfExists: null only for a missing file", () =>
    withTempDir(async (dir) => {
      expect(await readFileIfExists(join(dir, "nope"))).toBeNull();
      await expect(readFileIfExists(dir)).rejects.toThrow();
    }));
});
