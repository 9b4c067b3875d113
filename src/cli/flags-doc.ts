/**
 * @module cli/flags-doc
 * The README's flag reference, rendered from the flag table so the two never drift
 * (test/cli/readme.test.ts checks README.md carries exactly this text).
 */
import { FLAGS } from "./flags.ts";

export function flagsMarkdown(): string {
  const rows = FLAGS.filter((f) => !f.hidden).map((f) => {
    const name = `\`--${f.name}\`${f.short ? ` / \`-${f.short}\`` : ""}`;
    const def = f.defaultText ?? (f.default !== undefined && f.type !== "bool" ? String(f.default) : "");
    const roles = f.roles.join(", ");
    return `| ${name} | \`${f.env ?? ""}\` | ${roles} | ${f.help}${f.type === "list" ? " (repeatable, or comma-separated)" : ""} | ${def} |`;
  });
  return ["| flag | environment | commands | meaning | default |", "| --- | --- | --- | --- | --- |", ...rows].join("\n");
}

if (import.meta.main) console.log(flagsMarkdown());
