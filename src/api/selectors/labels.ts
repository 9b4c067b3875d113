/**
 * @module api/selectors/labels
 * Label selectors as k8s.io/apimachinery/pkg/labels implements them: the string syntax of
 * `?labelSelector=` (`k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`,
 * `k>1`, `k<1`, comma-joined, whitespace tolerant), metav1.LabelSelector
 * (`matchLabels` + `matchExpressions`), matching, and the canonical string form used in
 * Scale `status.selector` and by kubectl describe. Parse errors carry upstream's messages,
 * e.g. `unable to parse requirement: <nil>: Invalid value: "a b": ...`.
 */

import { aggregate, goQuote, goStringSlice, invalidValue, isQualifiedName, isValidLabelValue } from "./label-syntax.ts";

/** upstream selection.Operator values. */
export type LabelOperator = "=" | "==" | "!=" | "in" | "notin" | "exists" | "!" | "gt" | "lt";

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  /** Values as given (in/notin from the string syntax: sorted, without duplicates). */
  readonly values: readonly string[];
}

export type Labels = Readonly<Record<string, string>> | undefined | null;

/** A bad selector (string or metav1.LabelSelector). The API answers 400 BadRequest. */
export class LabelSelectorError extends Error {
  override name = "LabelSelectorError";
  readonly status = 400;
}

/** An AND of requirements. `nothing` is the selector that matches no object (a nil metav1.LabelSelector). */
export class LabelSelector {
  constructor(
    readonly requirements: readonly LabelRequirement[],
    readonly nothing = false,
  ) {}

  /** True if every requirement matches these labels. */
  matches(labels: Labels): boolean {
    if (this.nothing) return false;
    const ls = labels ?? {};
    return this.requirements.every((r) => requirementMatches(r, ls));
  }

  /** True if this selector does not restrict anything (matches every object). */
  empty(): boolean {
    return !this.nothing && this.requirements.length === 0;
  }

  /** Canonical form: requirements sorted by key, `k in (a,b)` with sorted values, joined by ",". */
  toString(): string {
    if (this.nothing) return "";
    return this.requirements.map(requirementString).join(",");
  }

  /** The single value `key` must have (=, ==, or in with one value), if the selector requires one. */
  requiresExactMatch(key: string): string | undefined {
    for (const r of this.requirements) {
      if (r.key !== key) continue;
      if ((r.operator === "=" || r.operator === "==" || r.operator === "in") && r.values.length === 1) return r.values[0];
      return undefined;
    }
    return undefined;
  }
}

export const EVERYTHING = new LabelSelector([]);
export const NOTHING = new LabelSelector([], true);

/** Parse the string syntax of `?labelSelector=`; "" matches everything. Throws LabelSelectorError. */
export function parseLabelSelector(selector: string): LabelSelector {
  const parser = new Parser(lex(selector));
  return new LabelSelector(sortByKey(parser.parse()));
}

/** A selector requiring exactly these labels (like labels.SelectorFromSet); no validation. */
export function selectorFromSet(set: Readonly<Record<string, string>> | undefined | null): LabelSelector {
  if (!set) return EVERYTHING;
  return new LabelSelector(sortByKey(Object.entries(set).map(([key, v]) => ({ key, operator: "=" as const, values: [v] }))));
}

export interface LabelSelectorRequirementJson {
  key: string;
  operator: string;
  values?: string[] | null;
}
export interface LabelSelectorJson {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: LabelSelectorRequirementJson[] | null;
}

/**
 * metav1.LabelSelectorAsSelector: null/undefined matches nothing, `{}` matches everything,
 * otherwise matchLabels (as `=`) AND matchExpressions (In, NotIn, Exists, DoesNotExist).
 * Invalid keys, values or operators throw LabelSelectorError with upstream's message.
 */
export function fromLabelSelector(ls: LabelSelectorJson | null | undefined): LabelSelector {
  if (ls === null || ls === undefined) return NOTHING;
  const labels = Object.entries(ls.matchLabels ?? {});
  const exprs = ls.matchExpressions ?? [];
  if (labels.length + exprs.length === 0) return EVERYTHING;
  const reqs: LabelRequirement[] = [];
  for (const [k, v] of labels) reqs.push(newRequirement(k, "=", [v]));
  for (const e of exprs) {
    const op = ({ In: "in", NotIn: "notin", Exists: "exists", DoesNotExist: "!" } as const)[e.operator as "In"];
    if (!op) throw new LabelSelectorError(`${goQuote(String(e.operator))} is not a valid label selector operator`);
    reqs.push(newRequirement(e.key, op, [...(e.values ?? [])]));
  }
  return new LabelSelector(sortByKey(reqs));
}

/**
 * labels.NewRequirement: validates key, operator arity and values, with upstream's
 * field-error messages (aggregated). Throws LabelSelectorError.
 */
export function newRequirement(key: string, operator: LabelOperator, values: string[], keyPath = "key", valuesPath = "values"): LabelRequirement {
  const errs: string[] = [];
  const keyErrs = isQualifiedName(key);
  if (keyErrs.length) errs.push(invalidValue(keyPath, goQuote(key), keyErrs.join("; ")));
  switch (operator) {
    case "in":
    case "notin":
      if (values.length === 0) errs.push(invalidValue(valuesPath, goStringSlice(values), "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case "=":
    case "==":
    case "!=":
      if (values.length !== 1) errs.push(invalidValue(valuesPath, goStringSlice(values), "exact-match compatibility requires one single value"));
      break;
    case "exists":
    case "!":
      if (values.length !== 0) errs.push(invalidValue(valuesPath, goStringSlice(values), "values set must be empty for exists and does not exist"));
      break;
    case "gt":
    case "lt":
      if (values.length !== 1) errs.push(invalidValue(valuesPath, goStringSlice(values), "for 'Gt', 'Lt' operators, exactly one value is required"));
      values.forEach((v, i) => {
        if (parseInt64(v) === undefined) errs.push(invalidValue(`${valuesPath}[${i}]`, goQuote(v), "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
  }
  values.forEach((v, i) => {
    const valueErrs = isValidLabelValue(v);
    if (valueErrs.length) errs.push(invalidValue(`${valuesPath}[${i}][${key}]`, goQuote(v), valueErrs.join("; ")));
  });
  if (errs.length) throw new LabelSelectorError(aggregate(errs));
  return { key, operator, values };
}

// --- matching and printing ---------------------------------------------------------------

function requirementMatches(r: LabelRequirement, ls: Readonly<Record<string, string>>): boolean {
  const present = Object.prototype.hasOwnProperty.call(ls, r.key);
  const value = present ? ls[r.key] : undefined;
  switch (r.operator) {
    case "=":
    case "==":
    case "in":
      return present && r.values.includes(value as string);
    case "!=":
    case "notin":
      return !present || !r.values.includes(value as string);
    case "exists":
      return present;
    case "!":
      return !present;
    case "gt":
    case "lt": {
      if (!present || r.values.length !== 1) return false;
      const have = parseInt64(value as string);
      const want = parseInt64(r.values[0] as string);
      if (have === undefined || want === undefined) return false;
      return r.operator === "gt" ? have > want : have < want;
    }
  }
}

function requirementString(r: LabelRequirement): string {
  const values = r.values.length === 1 ? (r.values[0] as string) : [...r.values].sort().join(",");
  switch (r.operator) {
    case "exists":
      return r.key;
    case "!":
      return `!${r.key}`;
    case "in":
      return `${r.key} in (${values})`;
    case "notin":
      return `${r.key} notin (${values})`;
    case "gt":
      return `${r.key}>${values}`;
    case "lt":
      return `${r.key}<${values}`;
    default:
      return `${r.key}${r.operator}${values}`;
  }
}

/** Go strconv.ParseInt(s, 10, 64) as a BigInt, or undefined. */
function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const v = BigInt(s);
  if (v > 9223372036854775807n || v < -9223372036854775808n) return undefined;
  return v;
}

function sortByKey(reqs: LabelRequirement[]): LabelRequirement[] {
  return reqs
    .map((r, i) => ({ r, i }))
    .sort((a, b) => (a.r.key < b.r.key ? -1 : a.r.key > b.r.key ? 1 : a.i - b.i))
    .map((x) => x.r);
}

// --- lexer and parser (a port of upstream's, so errors read the same) ---------------------

type Tok = "error" | "eos" | ")" | "," | "!" | "==" | "=" | ">" | "id" | "in" | "<" | "!=" | "notin" | "(";
interface Item {
  tok: Tok;
  lit: string;
}

const LITERALS: Record<string, Tok> = { ")": ")", ",": ",", "!": "!", "==": "==", "=": "=", ">": ">", in: "in", "<": "<", "!=": "!=", notin: "notin", "(": "(" };
const isWhitespace = (c: string) => c === " " || c === "\t" || c === "\r" || c === "\n";
const isSpecial = (c: string) => "=!(),><".includes(c);

function lex(s: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  for (;;) {
    while (pos < s.length && isWhitespace(s[pos] as string)) pos++;
    if (pos >= s.length) {
      items.push({ tok: "eos", lit: "" });
      return items;
    }
    if (isSpecial(s[pos] as string)) {
      let buf = "";
      let last: Item | undefined;
      while (pos < s.length && isSpecial(s[pos] as string)) {
        buf += s[pos];
        const tok = LITERALS[buf];
        if (tok) last = { tok, lit: buf };
        else if (last) break;
        pos++;
      }
      items.push(last ?? { tok: "error", lit: `error expected: keyword found '${buf}'` });
      continue;
    }
    let buf = "";
    while (pos < s.length && !isSpecial(s[pos] as string) && !isWhitespace(s[pos] as string)) buf += s[pos++];
    items.push({ tok: LITERALS[buf] ?? "id", lit: buf });
  }
}

const BINARY_OPERATORS = "in, notin, =, ==, !=, gt, lt";

class Parser {
  private pos = 0;
  constructor(private readonly items: Item[]) {}

  /** In value context the keywords in/notin are plain identifiers. */
  private peek(values: boolean): Item {
    const it = this.items[this.pos] as Item;
    return values && (it.tok === "in" || it.tok === "notin") ? { tok: "id", lit: it.lit } : it;
  }
  private next(values: boolean): Item {
    const it = this.peek(values);
    this.pos++;
    return it;
  }

  parse(): LabelRequirement[] {
    const reqs: LabelRequirement[] = [];
    for (;;) {
      const { tok, lit } = this.peek(true);
      if (tok === "eos") return reqs;
      if (tok !== "id" && tok !== "!") throw new LabelSelectorError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      try {
        reqs.push(this.requirement());
      } catch (e) {
        if (e instanceof LabelSelectorError) throw new LabelSelectorError(`unable to parse requirement: ${e.message}`);
        throw e;
      }
      const after = this.next(true);
      if (after.tok === "eos") return reqs;
      if (after.tok !== ",") throw new LabelSelectorError(`found '${after.lit}', expected: ',' or 'end of string'`);
      const t2 = this.peek(true);
      if (t2.tok !== "id" && t2.tok !== "!") throw new LabelSelectorError(`found '${t2.lit}', expected: identifier after ','`);
    }
  }

  private requirement(): LabelRequirement {
    let operator: "!" | undefined;
    let it = this.next(true);
    if (it.tok === "!") {
      operator = "!";
      it = this.next(true);
    }
    if (it.tok !== "id") throw new LabelSelectorError(`found '${it.lit}', expected: identifier`);
    const key = it.lit;
    const keyErrs = isQualifiedName(key);
    if (keyErrs.length) throw new LabelSelectorError(invalidValue("<nil>", goQuote(key), keyErrs.join("; ")));
    // `!key` is complete by itself (anything after it is then a syntax error in parse()).
    if (operator === "!") return newRequirement(key, "!", []);
    const t = this.peek(true).tok;
    if (t === "eos" || t === ",") return newRequirement(key, "exists", []);
    const op = this.operator();
    const values = op === "in" || op === "notin" ? this.setValues() : this.exactValue();
    return newRequirement(key, op, values);
  }

  private operator(): LabelOperator {
    const { tok, lit } = this.next(false);
    switch (tok) {
      case "in":
        return "in";
      case "notin":
        return "notin";
      case "=":
        return "=";
      case "==":
        return "==";
      case "!=":
        return "!=";
      case ">":
        return "gt";
      case "<":
        return "lt";
      default:
        throw new LabelSelectorError(`found '${lit}', expected: ${BINARY_OPERATORS}`);
    }
  }

  /** `(a,b,...)`: a sorted set; empty members are the empty string. */
  private setValues(): string[] {
    const open = this.next(true);
    if (open.tok !== "(") throw new LabelSelectorError(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.peek(true);
    if (tok === ")") {
      this.next(true);
      return [""];
    }
    if (tok !== "id" && tok !== ",") throw new LabelSelectorError(`found '${lit}', expected: ',', ')' or identifier`);
    const set = this.identifiers();
    if (this.next(true).tok !== ")") throw new LabelSelectorError(`found '${lit}', expected: ')'`);
    return [...set].sort();
  }

  private identifiers(): Set<string> {
    const set = new Set<string>();
    for (;;) {
      const { tok, lit } = this.next(true);
      if (tok === "id") {
        set.add(lit);
        const t2 = this.peek(true);
        if (t2.tok === ",") continue;
        if (t2.tok === ")") return set;
        throw new LabelSelectorError(`found '${t2.lit}', expected: ',' or ')'`);
      }
      if (tok === ",") {
        if (set.size === 0) set.add("");
        const t2 = this.peek(true).tok;
        if (t2 === ")") {
          set.add("");
          return set;
        }
        if (t2 === ",") set.add("");
        continue;
      }
      throw new LabelSelectorError(`found '${lit}', expected: ',', or identifier`);
    }
  }

  private exactValue(): string[] {
    const t = this.peek(true).tok;
    if (t === "eos" || t === ",") return [""];
    const { tok, lit } = this.next(true);
    if (tok === "id") return [lit];
    throw new LabelSelectorError(`found '${lit}', expected: identifier`);
  }
}
