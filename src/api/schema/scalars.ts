/**
 * @module api/schema/scalars
 * Syntax checks of the scalar types kube-apiserver decodes with custom code, returning the exact
 * error text Go produces: resource.Quantity, metav1.Time (RFC 3339) and []byte (standard base64).
 * Pure functions, no schema knowledge.
 */

const QUANTITY_RE = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$";
export const ERR_QUANTITY_FORMAT = `quantities must match the regular expression '${QUANTITY_RE}'`;
export const ERR_QUANTITY_SUFFIX = "unable to parse quantity's suffix";
const SUFFIXES = new Set(["", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]);

/** Why `text` is not a valid resource.Quantity (resource.ParseQuantity), or undefined. */
export function quantityError(text: string): string | undefined {
  const s = text.trim();
  const m = new RegExp(QUANTITY_RE).exec(s);
  if (!s || !m) return ERR_QUANTITY_FORMAT;
  const num = m[1]!;
  // parseQuantityString stops the number at a second '.', which then fails the suffix scan.
  if ((num.match(/\./g) ?? []).length > 1) return ERR_QUANTITY_FORMAT;
  const suffix = m[2]!;
  // The suffix scan takes [eEinumkKMGTP]*, an optional sign, then digits.
  if (SUFFIXES.has(suffix) || /^[eE][-+]?[0-9]+$/.test(suffix)) return undefined;
  return ERR_QUANTITY_SUFFIX;
}

const RFC3339 = "2006-01-02T15:04:05Z07:00";

/**
 * Why `s` does not parse as Go's time.RFC3339 (what metav1.Time.UnmarshalJSON uses), worded like
 * time.Parse: `parsing time "x" as "2006-01-02T15:04:05Z07:00": cannot parse "x" as "2006"`.
 */
export function rfc3339Error(s: string): string | undefined {
  const prefix = `parsing time ${JSON.stringify(s)} as "${RFC3339}"`;
  const steps: [string, RegExp][] = [
    ["2006", /^\d{4}/], ["-", /^-/], ["01", /^\d{2}/], ["-", /^-/], ["02", /^\d{2}/], ["T", /^T/],
    ["15", /^\d{2}/], [":", /^:/], ["04", /^\d{2}/], [":", /^:/], ["05", /^\d{2}(\.\d+)?/],
    ["Z07:00", /^(Z|[+-]\d{2}:\d{2})/],
  ];
  let rest = s;
  const vals: string[] = [];
  for (const [elem, re] of steps) {
    const m = re.exec(rest);
    if (!m) return `${prefix}: cannot parse ${JSON.stringify(rest)} as ${JSON.stringify(elem)}`;
    vals.push(m[0]);
    rest = rest.slice(m[0].length);
  }
  if (rest) return `${prefix}: extra text: ${JSON.stringify(rest)}`;
  const [year, , month, , day, , hour, , min, , sec] = vals.map((v) => Number.parseFloat(v));
  if (month! < 1 || month! > 12) return `${prefix}: month out of range`;
  const dim = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  if (day! < 1 || day! > dim) return `${prefix}: day out of range`;
  if (hour! > 23) return `${prefix}: hour out of range`;
  if (min! > 59) return `${prefix}: minute out of range`;
  if (sec! >= 60) return `${prefix}: second out of range`;
  return undefined;
}

const B64 = /[A-Za-z0-9+/]/;

/**
 * Why `s` is not standard padded base64 (Go's base64.StdEncoding, used for []byte in JSON), as
 * `illegal base64 data at input byte N`, or undefined.
 */
export function base64Error(s: string): string | undefined {
  const at = (n: number) => `illegal base64 data at input byte ${n}`;
  const isNl = (c: string | undefined) => c === "\n" || c === "\r";
  let j = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (isNl(c)) continue;
    if (c === "=") {
      if (j < 2) return at(i);
      let k = i + 1;
      if (j === 2) {
        while (isNl(s[k])) k++;
        if (k >= s.length) return at(s.length);
        if (s[k] !== "=") return at(k - 1);
        k++;
      }
      while (isNl(s[k])) k++;
      return k < s.length ? at(k) : undefined;
    }
    if (!B64.test(c)) return at(i);
    j = (j + 1) % 4;
  }
  return j === 0 ? undefined : at(s.length - j);
}
