import { describe, expect, test } from "bun:test";
import { base64Error, ERR_QUANTITY_FORMAT, ERR_QUANTITY_SUFFIX, quantityError, rfc3339Error } from "./scalars.ts";
import { findDuplicateFields } from "./json-duplicates.ts";

describe("quantityError", () => {
  test("accepts what resource.ParseQuantity accepts", () => {
    for (const q of ["1", "0", "100m", "1.5", ".5", "5.", "+1", "-1", "1Ki", "128Mi", "1Gi", "2Ei", "1e3", "1E-3", "1k", "1M", "3n", "4u", " 1 "]) {
      expect([q, quantityError(q)]).toEqual([q, undefined]);
    }
  });
  test("rejects with Go's messages", () => {
    for (const q of ["", "abc", "1Zi", "1.2.3", "Mi", "1 Mi"]) expect([q, quantityError(q)]).toEqual([q, ERR_QUANTITY_FORMAT]);
    for (const q of ["1iK", "1mm", "1KiB".slice(0, 3) + "i"]) expect([q, quantityError(q)]).toEqual([q, ERR_QUANTITY_SUFFIX]);
  });
});

describe("rfc3339Error", () => {
  test("accepts RFC 3339 with zone and optional fraction", () => {
    for (const t of ["2024-01-02T03:04:05Z", "2024-01-02T03:04:05.123456Z", "2024-02-29T23:59:59+05:30"]) expect(rfc3339Error(t)).toBeUndefined();
  });
  test("words errors like time.Parse", () => {
    expect(rfc3339Error("2024-01-02")).toBe('parsing time "2024-01-02" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "T"');
    expect(rfc3339Error("2024-01-02T03:04:05")).toBe('parsing time "2024-01-02T03:04:05" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "Z07:00"');
    expect(rfc3339Error("2023-02-29T00:00:00Z")).toBe('parsing time "2023-02-29T00:00:00Z" as "2006-01-02T15:04:05Z07:00": day out of range');
    expect(rfc3339Error("2023-13-01T00:00:00Z")).toBe('parsing time "2023-13-01T00:00:00Z" as "2006-01-02T15:04:05Z07:00": month out of range');
  });
});

describe("base64Error", () => {
  test("accepts padded standard base64 (and line breaks)", () => {
    for (const s of ["", "YQ==", "YWI=", "YWJj", "aGVsbG8gd29ybGQ=", "YWJj\nZGVm"]) expect(base64Error(s)).toBeUndefined();
  });
  test("reports the offending byte like encoding/base64", () => {
    expect(base64Error("YQ")).toBe("illegal base64 data at input byte 0");
    expect(base64Error("YWJjZ")).toBe("illegal base64 data at input byte 4");
    expect(base64Error("YW*j")).toBe("illegal base64 data at input byte 2");
    expect(base64Error("Y===")).toBe("illegal base64 data at input byte 1");
    expect(base64Error("YQ=a")).toBe("illegal base64 data at input byte 2");
    expect(base64Error("YQ==YQ==")).toBe("illegal base64 data at input byte 4");
    expect(base64Error("YQ=")).toBe("illegal base64 data at input byte 3");
  });
});

describe("findDuplicateFields", () => {
  test("finds duplicates at any depth with strict-decoder paths", () => {
    expect(findDuplicateFields('{"a":1,"b":{"c":[{"d":1,"d":2}],"c":3},"a":2}')).toEqual(["b.c[0].d", "b.c", "a"]);
    expect(findDuplicateFields('{"a":"x\\"y","b":[1,2,{"e":null,"f":true,"e":-1.5e3}]}')).toEqual(["b[2].e"]);
    expect(findDuplicateFields('{"a":1}')).toEqual([]);
    expect(findDuplicateFields("{bad")).toEqual([]);
  });
});
