/**
 * @module pki/sans
 * Subject alternative names: tells IP addresses from DNS names, validates
 * them, and puts them in one canonical form (lower-case DNS names, compressed
 * IPv6) so that "did the SANs change?" is a plain set comparison.
 */

import { isIP } from "node:net";
import { InvalidSanError } from "./errors.ts";

export interface SanSet {
  dnsNames: string[];
  ips: string[];
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Canonical text of an IP address, or null when `s` is not one. Accepts "[::1]". */
export function canonicalIp(s: string): string | null {
  let v = s.trim();
  if (v.startsWith("[") && v.endsWith("]")) v = v.slice(1, -1);
  const kind = isIP(v);
  if (kind === 4) return v;
  if (kind === 6) {
    // The WHATWG URL parser prints IPv6 hosts in RFC 5952 form.
    const host = new URL(`http://[${v}]/`).hostname;
    return host.slice(1, -1);
  }
  return null;
}

/** Canonical DNS name (lower case, no trailing dot), or null. Allows one leading "*." wildcard. */
export function canonicalDnsName(s: string): string | null {
  let v = s.trim().toLowerCase();
  if (v.endsWith(".")) v = v.slice(0, -1);
  if (v.length === 0 || v.length > 253) return null;
  const labels = v.split(".");
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (i === 0 && l === "*" && labels.length > 1) continue;
    if (!LABEL.test(l)) return null;
  }
  // An all-numeric dotted name would be mistaken for an IPv4 address by clients.
  if (labels.every((l) => /^[0-9]+$/.test(l))) return null;
  return v;
}

/** Splits free-form SANs (e.g. --tls-san values) into DNS names and IPs; typed error on junk. */
export function classifySans(values: Iterable<string>): SanSet {
  const dns = new Set<string>();
  const ips = new Set<string>();
  for (const raw of values) {
    if (raw.trim() === "") continue;
    const ip = canonicalIp(raw);
    if (ip !== null) {
      ips.add(ip);
      continue;
    }
    const name = canonicalDnsName(raw);
    if (name === null) throw new InvalidSanError(raw);
    dns.add(name);
  }
  return { dnsNames: [...dns], ips: [...ips] };
}

/** True when both sets hold the same names, in any order. */
export function sanSetsEqual(a: SanSet, b: SanSet): boolean {
  const eq = (x: string[], y: string[]) => {
    const sx = new Set(x);
    const sy = new Set(y);
    return sx.size === sy.size && [...sx].every((v) => sy.has(v));
  };
  return eq(a.dnsNames, b.dnsNames) && eq(a.ips, b.ips);
}
