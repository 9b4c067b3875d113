/**
 * @module api/resources/quantity
 * Kubernetes resource quantities ("100m", "1.5", "128Mi", "1G", "1e3"): parsing, exact
 * arithmetic and canonical formatting with the same rules as apimachinery's
 * resource.Quantity. Values are kept exactly as a bigint count of nano-units (upstream
 * rounds anything finer up to 1n), so sums and comparisons never drift.
 * Used by API validation/defaulting, the scheduler (fit) and the agent (cgroup limits).
 */

export type QuantityFormat = "DecimalSI" | "BinarySI" | "DecimalExponent";

export const QUANTITY_REGEX_MESSAGE = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const SUFFIX_MESSAGE = "unable to parse quantity's suffix";

/** A string that is not a valid quantity. `message` is upstream's wording. */
export class QuantityError extends Error {
  constructor(
    message: string,
    readonly input: string,
  ) {
    super(message);
    this.name = "QuantityError";
  }
}

const NANO = 1_000_000_000n;
const MAX_INT64 = (1n << 63n) - 1n;
/** Exponents beyond this are refused instead of building absurd bigints. */
const MAX_EXPONENT = 1000;

const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL_BY_EXP = new Map(Object.entries(DECIMAL_SUFFIXES).map(([k, v]) => [v, k]));
const BINARY_BY_EXP = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}
function abs(v: bigint): bigint {
  return v < 0n ? -v : v;
}
/** Division rounding away from zero (upstream rounds quantities "up"). */
function divUp(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b === 0n ? q : a < 0n ? q - 1n : q + 1n;
}

export class Quantity {
  /** The exact value in units of 10^-9. */
  readonly nanos: bigint;
  readonly format: QuantityFormat;

  constructor(nanos: bigint, format: QuantityFormat = "DecimalSI") {
    this.nanos = nanos;
    this.format = format;
  }

  /** Parse a quantity string (or a JSON number, which upstream also accepts). Throws QuantityError. */
  static parse(input: string | number): Quantity {
    const str = typeof input === "number" ? numberToString(input) : input;
    if (typeof str !== "string" || str.length === 0) throw new QuantityError(QUANTITY_REGEX_MESSAGE, String(input));
    const m = /^([+-]?)([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*[-+]?[0-9]*)$/.exec(str);
    if (!m) throw new QuantityError(QUANTITY_REGEX_MESSAGE, str);
    const [, sign, intPart = "", fracPart = "", suffix = ""] = m;
    if (intPart.length === 0 && fracPart.length === 0) throw new QuantityError(QUANTITY_REGEX_MESSAGE, str);
    let format: QuantityFormat;
    let exp10 = 0;
    let exp1024 = 0;
    if (suffix in DECIMAL_SUFFIXES) {
      format = "DecimalSI";
      exp10 = DECIMAL_SUFFIXES[suffix]!;
    } else if (suffix in BINARY_SUFFIXES) {
      format = "BinarySI";
      exp1024 = BINARY_SUFFIXES[suffix]!;
    } else if (/^[eE][-+]?[0-9]+$/.test(suffix)) {
      format = "DecimalExponent";
      exp10 = Number(suffix.slice(1));
      if (!Number.isSafeInteger(exp10) || Math.abs(exp10) > MAX_EXPONENT) throw new QuantityError(SUFFIX_MESSAGE, str);
    } else {
      throw new QuantityError(SUFFIX_MESSAGE, str);
    }
    // mantissa × 10^(exp10 - fracLen) × 1024^exp1024, expressed in nanos.
    let mantissa = BigInt((intPart || "0") + fracPart);
    if (exp1024) mantissa *= 1024n ** BigInt(exp1024);
    const shift = exp10 - fracPart.length + 9;
    let nanos: bigint;
    if (shift >= 0) nanos = mantissa * pow10(shift);
    else if (-shift > mantissa.toString().length + 1) nanos = mantissa === 0n ? 0n : 1n; // below 1n: round up
    else nanos = divUp(mantissa, pow10(-shift));
    if (format === "BinarySI") {
      if (nanos > MAX_INT64 * NANO) nanos = MAX_INT64 * NANO;
      if (nanos > 0n && nanos < NANO) format = "DecimalSI";
    }
    return new Quantity(sign === "-" ? -nanos : nanos, format);
  }

  /** Like parse, but returns undefined instead of throwing. */
  static tryParse(input: unknown): Quantity | undefined {
    if (typeof input !== "string" && typeof input !== "number") return undefined;
    try {
      return Quantity.parse(input);
    } catch {
      return undefined;
    }
  }

  static fromMilli(milli: number | bigint, format: QuantityFormat = "DecimalSI"): Quantity {
    return new Quantity(BigInt(milli) * 1_000_000n, format);
  }

  static fromValue(value: number | bigint, format: QuantityFormat = "DecimalSI"): Quantity {
    return new Quantity(BigInt(value) * NANO, format);
  }

  sign(): -1 | 0 | 1 {
    return this.nanos < 0n ? -1 : this.nanos > 0n ? 1 : 0;
  }
  isZero(): boolean {
    return this.nanos === 0n;
  }
  cmp(o: Quantity): -1 | 0 | 1 {
    return this.nanos < o.nanos ? -1 : this.nanos > o.nanos ? 1 : 0;
  }
  add(o: Quantity): Quantity {
    return new Quantity(this.nanos + o.nanos, this.format);
  }
  sub(o: Quantity): Quantity {
    return new Quantity(this.nanos - o.nanos, this.format);
  }
  neg(): Quantity {
    return new Quantity(-this.nanos, this.format);
  }

  /** Integer value rounded away from zero (upstream Value()). */
  valueBig(): bigint {
    return divUp(this.nanos, NANO);
  }
  value(): number {
    return Number(this.valueBig());
  }
  /** Value × 1000 rounded away from zero (upstream MilliValue(), used for CPU). */
  milliValueBig(): bigint {
    return divUp(this.nanos, 1_000_000n);
  }
  milliValue(): number {
    return Number(this.milliValueBig());
  }
  asApproximateFloat64(): number {
    return Number(this.nanos) / 1e9;
  }
  /** True when the value has no fractional part (upstream AsScale(0) exactness). */
  isInteger(): boolean {
    return this.nanos % NANO === 0n;
  }

  /** Round up (away from zero) to milli precision, as SetDefaults_ResourceList does. */
  roundUpToMilli(): Quantity {
    const m = divUp(this.nanos, 1_000_000n) * 1_000_000n;
    return m === this.nanos ? this : new Quantity(m, this.format);
  }

  /** Canonical string, identical to apimachinery's Quantity.String(). */
  toString(): string {
    if (this.nanos === 0n) return "0";
    if (this.format === "BinarySI") {
      const bytes = this.nanos / NANO;
      if (this.isInteger() && abs(bytes) >= 1024n) {
        let v = bytes;
        let k = 0;
        while (k < 6 && v % 1024n === 0n) {
          v /= 1024n;
          k++;
        }
        return `${v}${BINARY_BY_EXP[k]}`;
      }
      return formatDecimal(this.nanos, "DecimalSI");
    }
    return formatDecimal(this.nanos, this.format);
  }

  toJSON(): string {
    return this.toString();
  }
}

function formatDecimal(nanos: bigint, format: "DecimalSI" | "DecimalExponent"): string {
  let mantissa = nanos;
  let exp = -9;
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exp++;
  }
  const r = ((exp % 3) + 3) % 3;
  if (r !== 0) {
    mantissa *= pow10(r);
    exp -= r;
  }
  if (format === "DecimalExponent") return exp === 0 ? `${mantissa}` : `${mantissa}e${exp}`;
  if (exp > 18) {
    mantissa *= pow10(exp - 18);
    exp = 18;
  }
  return `${mantissa}${DECIMAL_BY_EXP.get(exp) ?? ""}`;
}

function numberToString(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return String(n);
}

/** Parse or throw QuantityError. */
export function parseQuantity(input: string | number): Quantity {
  return Quantity.parse(input);
}

/** The canonical form of a quantity string ("0.5" → "500m", "1024Mi" → "1Gi"). Throws QuantityError. */
export function canonicalQuantity(input: string | number): string {
  return Quantity.parse(input).toString();
}

/** Sum of quantities in a resource list-like iterable (format of the first). */
export function sumQuantities(qs: Iterable<Quantity>): Quantity {
  let total: Quantity | undefined;
  for (const q of qs) total = total ? total.add(q) : q;
  return total ?? new Quantity(0n);
}
