import { describe, expect, test } from "bun:test";
import { canonicalDnsName, canonicalIp, classifySans, sanSetsEqual } from "./sans.ts";
import { InvalidSanError } from "./errors.ts";

describe("SANs", () => {
  test("IPs are canonical (compressed IPv6, brackets dropped)", () => {
    expect(canonicalIp("10.0.0.1")).toBe("10.0.0.1");
    expect(canonicalIp("[::1]")).toBe("::1");
    expect(canonicalIp("2001:0DB8:0000:0000:0000:0000:0000:0001")).toBe("2001:db8::1");
    expect(canonicalIp("256.0.0.1")).toBeNull();
    expect(canonicalIp("example.com")).toBeNull();
  });

  test("DNS names are lower-cased, trailing dot dropped, wildcards allowed only leftmost", () => {
    expect(canonicalDnsName("API.Example.COM.")).toBe("api.example.com");
    expect(canonicalDnsName("*.example.com")).toBe("*.example.com");
    expect(canonicalDnsName("a.*.example.com")).toBeNull();
    expect(canonicalDnsName("*")).toBeNull();
    expect(canonicalDnsName("under_score.com")).toBeNull();
    expect(canonicalDnsName("-lead.com")).toBeNull();
    expect(canonicalDnsName("1.2.3")).toBeNull();
    expect(canonicalDnsName("a".repeat(64))).toBeNull();
    expect(canonicalDnsName("node-1")).toBe("node-1");
  });

  test("classifySans splits, dedupes and rejects junk with the offending value", () => {
    expect(classifySans(["10.0.0.1", "Kite.Local", "kite.local", "::1", "", "10.0.0.1"])).toEqual({
      dnsNames: ["kite.local"],
      ips: ["10.0.0.1", "::1"],
    });
    const err = (() => {
      try {
        classifySans(["ok.com", "bad name"]);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InvalidSanError);
    expect((err as InvalidSanError).san).toBe("bad name");
  });

  test("set comparison ignores order and duplicates", () => {
    expect(sanSetsEqual({ dnsNames: ["a", "b"], ips: ["1.1.1.1"] }, { dnsNames: ["b", "a", "a"], ips: ["1.1.1.1"] })).toBe(true);
    expect(sanSetsEqual({ dnsNames: ["a"], ips: [] }, { dnsNames: ["a"], ips: ["1.1.1.1"] })).toBe(false);
  });
});
