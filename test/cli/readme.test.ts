import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { flagsMarkdown } from "../../src/cli/flags-doc.ts";

test("README's flag reference is the flag table", () => {
  const readme = readFileSync(join(import.meta.dir, "../../README.md"), "utf8");
  const m = /<!-- flags:begin[^>]*-->\n([\s\S]*?)\n<!-- flags:end -->/.exec(readme);
  expect(m).not.toBeNull();
  expect(m![1]).toBe(flagsMarkdown());
});
