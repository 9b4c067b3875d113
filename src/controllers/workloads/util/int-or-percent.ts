/**
 * @module controllers/workloads/util/int-or-percent
 * intstr.GetScaledValueFromIntOrPercent: `5` is 5, `"25%"` of 10 is 2.5 rounded up
 * (surge) or down (unavailable). Bad values raise InvalidIntOrPercentError.
 */

export class InvalidIntOrPercentError extends Error {
  override name = "InvalidIntOrPercentError";
}

export function scaledValue(v: unknown, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (typeof v === "string") {
    const m = /^(-?\d+)%$/.exec(v);
    if (m) {
      const x = (Number(m[1]) * total) / 100;
      return roundUp ? Math.ceil(x) : Math.floor(x);
    }
    if (/^-?\d+$/.test(v)) return Number(v);
  }
  throw new InvalidIntOrPercentError(`invalid value for IntOrString: invalid value ${JSON.stringify(v)}`);
}

/** ResolveFenceposts: surge rounds up, unavailable down; both 0 means unavailable 1. */
export function resolveFenceposts(maxSurge: unknown, maxUnavailable: unknown, desired: number): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge, desired, true);
  let unavailable = scaledValue(maxUnavailable, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}
