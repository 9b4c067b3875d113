import { describe, expect, test } from "bun:test";
import { Quantity, QuantityError, canonicalQuantity, parseQuantity, sumQuantities } from "./quantity.ts";

describe("Quantity parsing and canonical form (apimachinery semantics)", () => {
  const cases: [string | number, string][] = [
    ["100m", "100m"],
    ["0.1", "100m"],
    ["1.5", "1500m"],
    ["1", "1"],
    ["1000", "1k"],
    ["1500", "1500"],
    ["12000", "12k"],
    ["1G", "1G"],
    ["1000M", "1G"],
    ["1e3", "1e3"],
    ["1.5e3", "1500"],
    ["10e3", "10e3"],
    ["1E6", "1e6"],
    ["128Mi", "128Mi"],
    ["1024Mi", "1Gi"],
    ["1536Mi", "1536Mi"],
    ["1.5Gi", "1536Mi"],
    ["0.5Gi", "512Mi"],
    ["0.5Ki", "512"],
    ["1.5Ki", "1536"],
    ["1Ki", "1Ki"],
    ["0.001Ki", "1024m"],
    ["0", "0"],
    ["0Mi", "0"],
    ["-100m", "-100m"],
    ["-1Ki", "-1Ki"],
    ["+2", "2"],
    ["0.0000000001", "1n"],
    ["0.0001", "100u"],
    ["5.", "5"],
    ["1.G", "1G"],
    [".5", "500m"],
    ["007", "7"],
    ["2E", "2E"],
    [1, "1"],
    [0.25, "250m"],
  ];
  for (const [input, want] of cases) {
    test(`${JSON.stringify(input)} → ${want}`, () => {
      expect(canonicalQuantity(input)).toBe(want);
    });
  }

  test("bad strings throw QuantityError with upstream wording", () => {
    for (const bad of ["", "abc", "1.2.3", "1x", "1Kb", "--1", "1 m", "m", "e3"]) {
      let err: unknown;
      try {
        parseQuantity(bad);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(QuantityError);
      expect(String((err as Error).message)).toMatch(/quantities must match the regular expression|unable to parse quantity's suffix/);
    }
    expect(() => parseQuantity("1Qi")).toThrow("quantities must match");
    expect(() => parseQuantity("1ki")).toThrow("unable to parse quantity's suffix");
    expect(Quantity.tryParse("nope")).toBeUndefined();
    expect(Quantity.tryParse({})).toBeUndefined();
  });

  test("values and milli-values round away from zero like upstream", () => {
    expect(parseQuantity("100m").milliValue()).toBe(100);
    expect(parseQuantity("1.5").milliValue()).toBe(1500);
    expect(parseQuantity("0.0001").milliValue()).toBe(1);
    expect(parseQuantity("128Mi").value()).toBe(134217728);
    expect(parseQuantity("1.1").value()).toBe(2);
    expect(parseQuantity("-1.1").value()).toBe(-2);
    expect(parseQuantity("1G").value()).toBe(1e9);
  });

  test("exact arithmetic and comparison across formats", () => {
    const a = parseQuantity("1Gi");
    const b = parseQuantity("1024Mi");
    expect(a.cmp(b)).toBe(0);
    expect(parseQuantity("100m").cmp(parseQuantity("0.1"))).toBe(0);
    expect(parseQuantity("2").cmp(parseQuantity("1999m"))).toBe(1);
    expect(parseQuantity("0.1").add(parseQuantity("0.2")).toString()).toBe("300m");
    expect(sumQuantities([parseQuantity("512Mi"), parseQuantity("512Mi")]).toString()).toBe("1Gi");
    expect(sumQuantities([]).toString()).toBe("0");
    expect(parseQuantity("1").sub(parseQuantity("250m")).toString()).toBe("750m");
  });

  test("round up to milli (SetDefaults_ResourceList)", () => {
    expect(parseQuantity("0.0001").roundUpToMilli().toString()).toBe("1m");
    expect(parseQuantity("1.0005").roundUpToMilli().toString()).toBe("1001m");
    expect(parseQuantity("128Mi").roundUpToMilli().toString()).toBe("128Mi");
  });

  test("BinarySI is capped at int64 bytes; constructors", () => {
    expect(parseQuantity("100000Ei").valueBig()).toBe((1n << 63n) - 1n);
    expect(Quantity.fromMilli(250).toString()).toBe("250m");
    expect(Quantity.fromValue(2048, "BinarySI").toString()).toBe("2Ki");
    expect(JSON.stringify({ q: Quantity.fromValue(3) })).toBe('{"q":"3"}');
  });

  test("huge exponents are refused rather than allocating", () => {
    expect(() => parseQuantity("1e100000")).toThrow(QuantityError);
    expect(parseQuantity("1e-1000").toString()).toBe("1e-9"); // rounded up to 1n, kept in exponent form
  });
});
