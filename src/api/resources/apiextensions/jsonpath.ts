/**
 * @module api/resources/apiextensions/jsonpath
 * The subset of Kubernetes JSONPath that CRD printer columns and selectable fields use:
 * `.spec.replicas`, `.metadata.labels['app.kubernetes.io/name']`, escaped dots
 * (`.metadata.annotations.a\.b`), `[0]`, `[-1]`, `[*]`, `.*`, and filters such as
 * `.status.conditions[?(@.type=="Ready")].status`. Optional surrounding braces.
 */

export class JSONPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JSONPathError";
  }
}

type Step =
  | { t: "field"; name: string }
  | { t: "index"; i: number }
  | { t: "wild" }
  | { t: "filter"; path: Step[]; op?: string; value?: unknown };

function parseSteps(src: string, pos: { i: number }, stopAt?: (c: string) => boolean): Step[] {
  const steps: Step[] = [];
  while (pos.i < src.length) {
    const c = src[pos.i]!;
    if (stopAt?.(c)) break;
    if (c === ".") {
      pos.i++;
      if (src[pos.i] === "*") {
        pos.i++;
        steps.push({ t: "wild" });
        continue;
      }
      let name = "";
      while (pos.i < src.length) {
        const d = src[pos.i]!;
        if (d === "\\" && pos.i + 1 < src.length) {
          name += src[pos.i + 1];
          pos.i += 2;
          continue;
        }
        if (d === "." || d === "[" || d === " " || d === ")" || d === "=" || d === "!" || d === "<" || d === ">") break;
        name += d;
        pos.i++;
      }
      if (!name) throw new JSONPathError(`invalid JSONPath ${JSON.stringify(src)}: empty field name at ${pos.i}`);
      steps.push({ t: "field", name });
      continue;
    }
    if (c === "[") {
      pos.i++;
      const rest = src.slice(pos.i);
      let m: RegExpExecArray | null;
      if ((m = /^\s*'((?:[^'\\]|\\.)*)'\s*\]/.exec(rest)) || (m = /^\s*"((?:[^"\\]|\\.)*)"\s*\]/.exec(rest))) {
        steps.push({ t: "field", name: m[1]!.replace(/\\(.)/g, "$1") });
        pos.i += m[0].length;
      } else if ((m = /^\s*\*\s*\]/.exec(rest))) {
        steps.push({ t: "wild" });
        pos.i += m[0].length;
      } else if ((m = /^\s*(-?\d+)\s*\]/.exec(rest))) {
        steps.push({ t: "index", i: Number(m[1]) });
        pos.i += m[0].length;
      } else if (rest.startsWith("?(")) {
        pos.i += 2;
        while (src[pos.i] === " ") pos.i++;
        if (src[pos.i] !== "@") throw new JSONPathError(`invalid JSONPath ${JSON.stringify(src)}: filter must start with @`);
        pos.i++;
        const path = parseSteps(src, pos, (ch) => ch === ")" || ch === "=" || ch === "!" || ch === "<" || ch === ">" || ch === " ");
        while (src[pos.i] === " ") pos.i++;
        const opm = /^(==|!=|<=|>=|<|>)/.exec(src.slice(pos.i));
        let op: string | undefined;
        let value: unknown;
        if (opm) {
          op = opm[1];
          pos.i += opm[0].length;
          while (src[pos.i] === " ") pos.i++;
          const vm = /^('((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|(-?\d+(?:\.\d+)?)|(true|false))/.exec(src.slice(pos.i));
          if (!vm) throw new JSONPathError(`invalid JSONPath ${JSON.stringify(src)}: bad filter value`);
          value = vm[2] ?? vm[3] ?? (vm[4] !== undefined ? Number(vm[4]) : vm[5] === "true");
          pos.i += vm[0].length;
          while (src[pos.i] === " ") pos.i++;
        }
        if (src.slice(pos.i, pos.i + 2) !== ")]") throw new JSONPathError(`invalid JSONPath ${JSON.stringify(src)}: unterminated filter`);
        pos.i += 2;
        steps.push({ t: "filter", path, op, value });
      } else throw new JSONPathError(`invalid JSONPath ${JSON.stringify(src)}: unsupported expression at ${pos.i - 1}`);
      continue;
    }
    throw new JSONPathError(`invalid JSONPath ${JSON.stringify(src)}: unexpected ${JSON.stringify(c)} at ${pos.i}`);
  }
  return steps;
}

export interface CompiledPath {
  source: string;
  steps: Step[];
}

export function compileJSONPath(expr: string): CompiledPath {
  let src = expr.trim();
  if (src.startsWith("{") && src.endsWith("}")) src = src.slice(1, -1).trim();
  if (src.startsWith("$")) src = src.slice(1);
  if (!src.startsWith(".") && !src.startsWith("[")) throw new JSONPathError(`invalid JSONPath ${JSON.stringify(expr)}: must start with '.'`);
  return { source: expr, steps: parseSteps(src, { i: 0 }) };
}

function compare(a: unknown, op: string, b: unknown): boolean {
  switch (op) {
    case "==":
      return a === b || (typeof a === "number" && typeof b === "string" ? String(a) === b : false);
    case "!=":
      return a !== b;
    case "<":
      return (a as number) < (b as number);
    case ">":
      return (a as number) > (b as number);
    case "<=":
      return (a as number) <= (b as number);
    case ">=":
      return (a as number) >= (b as number);
  }
  return false;
}

function apply(steps: Step[], roots: unknown[]): unknown[] {
  let cur = roots;
  for (const s of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      if (s.t === "field") {
        if (v && typeof v === "object" && !Array.isArray(v) && Object.prototype.hasOwnProperty.call(v, s.name)) next.push((v as Record<string, unknown>)[s.name]);
      } else if (s.t === "index") {
        if (Array.isArray(v)) {
          const i = s.i < 0 ? v.length + s.i : s.i;
          if (i >= 0 && i < v.length) next.push(v[i]);
        }
      } else if (s.t === "wild") {
        if (Array.isArray(v)) next.push(...v);
        else if (v && typeof v === "object") next.push(...Object.values(v));
      } else {
        const items = Array.isArray(v) ? v : v && typeof v === "object" ? Object.values(v) : [];
        for (const it of items) {
          const got = apply(s.path, [it]);
          if (s.op === undefined ? got.length > 0 : got.some((g) => compare(g, s.op!, s.value))) next.push(it);
        }
      }
    }
    cur = next;
  }
  return cur;
}

/** All values the path selects (empty when nothing matches). */
export function evalJSONPath(path: CompiledPath | string, obj: unknown): unknown[] {
  const p = typeof path === "string" ? compileJSONPath(path) : path;
  return apply(p.steps, [obj]);
}

/** jsonpath PrintResults for one value: strings raw, maps and lists as compact JSON. */
export function printJSONPathValue(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}
