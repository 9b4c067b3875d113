/**
 * @module api/selectors/fields
 * Field selectors as k8s.io/apimachinery/pkg/fields implements them: comma-joined terms
 * `field=value`, `field==value`, `field!=value`; in values `\,`, `\=` and `\\` are escapes and
 * an unescaped `,` or `=` is an error. A missing field reads as "" (so `status.phase!=Failed`
 * matches objects without a phase). The selector lists the fields it uses, so the API can
 * reject unsupported ones with upstream's `field label not supported: <field>`.
 */

export type FieldOperator = "=" | "==" | "!=";

export interface FieldRequirement {
  readonly field: string;
  readonly operator: FieldOperator;
  readonly value: string;
}

/** Reads a field of an object ("metadata.name", "spec.nodeName", ...); undefined when absent. */
export type FieldGetter = (field: string) => string | undefined;

/** A bad field selector. The API answers 400 BadRequest. */
export class FieldSelectorError extends Error {
  override name = "FieldSelectorError";
  readonly status = 400;
}

export class FieldSelector {
  constructor(readonly requirements: readonly FieldRequirement[]) {}

  matches(get: FieldGetter): boolean {
    return this.requirements.every((r) => {
      const v = get(r.field) ?? "";
      return r.operator === "!=" ? v !== r.value : v === r.value;
    });
  }

  empty(): boolean {
    return this.requirements.length === 0;
  }

  /** Distinct field names used, in order of first use. */
  fields(): string[] {
    return [...new Set(this.requirements.map((r) => r.field))];
  }

  /** The value `field` must equal, if some `=`/`==` term requires one. */
  requiresExactMatch(field: string): string | undefined {
    for (const r of this.requirements) if (r.field === field && r.operator !== "!=") return r.value;
    return undefined;
  }

  /** Upstream's String(): `field=value` / `field!=value` with values escaped, joined by ",". */
  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.operator === "!=" ? "!=" : "="}${escapeFieldValue(r.value)}`).join(",");
  }
}

/** Parse `?fieldSelector=`; "" matches everything. Throws FieldSelectorError with upstream's message. */
export function parseFieldSelector(selector: string): FieldSelector {
  const parts = splitTerms(selector).sort();
  const reqs: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === "") continue;
    const term = splitTerm(part);
    if (!term) throw new FieldSelectorError(`invalid selector: '${selector}'; can't understand '${part}'`);
    reqs.push({ field: term.field, operator: term.operator, value: unescapeFieldValue(term.rawValue) });
  }
  return new FieldSelector(reqs);
}

/** A selector requiring field=value for every entry (fields.SelectorFromSet). */
export function fieldSelectorFromSet(set: Readonly<Record<string, string>>): FieldSelector {
  return new FieldSelector(Object.entries(set).map(([field, value]) => ({ field, operator: "=" as const, value })));
}

/**
 * Reject fields the resource does not support, like the per-kind field label conversion:
 * throws FieldSelectorError `field label not supported: <field>` for the first one.
 */
export function checkSupportedFields(selector: FieldSelector, supported: Iterable<string>): void {
  const ok = new Set(supported);
  for (const f of selector.fields()) if (!ok.has(f)) throw new FieldSelectorError(`field label not supported: ${f}`);
}

/** Escape `\`, `,` and `=` in a value (fields.EscapeValue). */
export function escapeFieldValue(s: string): string {
  return s.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/** Undo escapeFieldValue; unknown escapes and bare `,`/`=` are errors (fields.UnescapeValue). */
export function unescapeFieldValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = "";
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== "\\" && c !== "," && c !== "=") throw new FieldSelectorError(`invalid field selector: invalid escape sequence: \\${c}`);
      out += c;
      inSlash = false;
      continue;
    }
    if (c === "\\") inSlash = true;
    else if (c === "," || c === "=") {
      // upstream prints the rune with %v, i.e. its code point number
      throw new FieldSelectorError(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else out += c;
  }
  if (inSlash) throw new FieldSelectorError("invalid field selector: invalid escape sequence: \\");
  return out;
}

/** Split on commas that are not escaped; escapes are kept for unescapeFieldValue. */
function splitTerms(s: string): string[] {
  if (s === "") return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === "\\") inSlash = true;
    else if (c === ",") {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

/** The first operator occurrence splits the term; `!=` and `==` are tried before `=`. */
function splitTerm(term: string): { field: string; operator: FieldOperator; rawValue: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of ["!=", "==", "="] as const) {
      if (term.startsWith(op, i)) return { field: term.slice(0, i), operator: op, rawValue: term.slice(i + op.length) };
    }
  }
  return undefined;
}
