import { describe, expect, test } from "bun:test";
import fixtures from "./fixtures/kubectl-bodies.json";
import { decodeK8sProtobuf, isProtobufContentType, messageForKind, ProtobufDecodeError, readEnvelope } from "./index.ts";
import { goDuration, rfc3339 } from "./decode.ts";

// A tiny protobuf writer for hand-made messages.
type Part = number[];
const te = new TextEncoder();
function varint(v: number | bigint): Part {
  let x = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  while (x > 0x7fn) { out.push(Number(x & 0x7fn) | 0x80); x >>= 7n; }
  out.push(Number(x));
  return out;
}
const tag = (n: number, w: number) => varint(n * 8 + w);
const str = (n: number, s: string) => { const b = [...te.encode(s)]; return [...tag(n, 2), ...varint(b.length), ...b]; };
const msg = (n: number, ...parts: Part[]) => { const b = parts.flat(); return [...tag(n, 2), ...varint(b.length), ...b]; };
const int = (n: number, v: number | bigint) => [...tag(n, 0), ...varint(v)];
function envelope(apiVersion: string, kind: string, raw: Part, extra: Part = []): Uint8Array {
  return new Uint8Array([0x6b, 0x38, 0x73, 0x00, ...msg(1, str(1, apiVersion), str(2, kind)), ...msg(2, raw), ...extra]);
}

describe("decodeK8sProtobuf on bodies captured from kubectl", () => {
  for (const f of fixtures.bodies) {
    test(`${f.command}: 1.32 and 1.33 protobuf decode to what 1.31 sent as JSON`, () => {
      for (const b64 of [f.protobuf132, f.protobuf133]) {
        const d = decodeK8sProtobuf(Buffer.from(b64, "base64"));
        expect(d.object).toEqual(f.json as never);
        expect(d.kind).toBe((f.json as { kind: string }).kind);
        expect(d.apiVersion).toBe((f.json as { apiVersion: string }).apiVersion);
      }
    });
  }
  test("the fixture set covers the commands kubectl 1.32 sends protobuf for", () => {
    const kinds = new Set(fixtures.bodies.map((b) => (b.json as { kind: string }).kind));
    for (const k of ["ConfigMap", "Secret", "Deployment", "Namespace", "Service", "Job", "CronJob", "ServiceAccount", "Role", "RoleBinding", "ClusterRoleBinding", "PriorityClass", "ResourceQuota", "PodDisruptionBudget", "Ingress", "TokenRequest", "SelfSubjectAccessReview", "SelfSubjectRulesReview", "SelfSubjectReview"]) {
      expect([k, kinds.has(k)]).toEqual([k, true]);
    }
  });
});

describe("decoding rules", () => {
  test("Go JSON zero-value rules: omitempty, non-pointer structs, nil lists without omitempty", () => {
    // A Pod with one container: no ports, an env var, an inline volume source, a negative int32.
    const container = [...str(1, "c"), ...str(2, "busybox"), ...msg(7, str(1, "A"), str(2, "1"))];
    const volume = [...str(1, "data"), ...msg(2, msg(2, str(1, "Memory")))]; // Volume{name, VolumeSource{emptyDir{medium}}}
    const spec = [...msg(1, volume), ...msg(2, container), ...int(5, -1n)]; // activeDeadlineSeconds = -1 (int64 pointer)
    const meta = [...str(1, "p"), ...msg(8, [])];
    const d = decodeK8sProtobuf(envelope("v1", "Pod", [...msg(1, meta), ...msg(2, spec), ...msg(3, [])]));
    const pod = d.object as Record<string, any>;
    expect(pod.metadata).toEqual({ name: "p", creationTimestamp: null });
    expect(pod.spec.volumes).toEqual([{ name: "data", emptyDir: { medium: "Memory" } }]);
    expect(pod.spec.containers).toEqual([{ name: "c", image: "busybox", env: [{ name: "A", value: "1" }], resources: {} }]);
    expect(pod.spec.activeDeadlineSeconds).toBe(-1);
    expect(pod.status).toEqual({});
    // a Pod without containers: `containers` has no omitempty, so a nil list is null like Go's JSON
    const empty = decodeK8sProtobuf(envelope("v1", "Pod", msg(1, str(1, "q")))).object as Record<string, any>;
    expect(empty.spec).toEqual({ containers: null });
  });

  test("Time, MicroTime, IntOrString, Quantity, bytes and maps", () => {
    const t = 1_700_000_000;
    const meta = [...str(1, "x"), ...msg(8, int(1, t), int(2, 999_000_000))];
    const d = decodeK8sProtobuf(envelope("v1", "Event", [
      ...msg(1, meta),
      ...msg(2, str(1, "Pod"), str(3, "web")), // involvedObject
      ...msg(10, int(1, t), int(2, 123_456_789)), // eventTime (MicroTime)
    ]));
    const ev = d.object as Record<string, any>;
    expect(ev.metadata.creationTimestamp).toBe("2023-11-14T22:13:20Z");
    expect(ev.eventTime).toBe("2023-11-14T22:13:20.123456Z");
    expect(ev.involvedObject).toEqual({ kind: "Pod", name: "web" });
    expect(ev.firstTimestamp).toBeNull();
    expect(ev.reportingComponent).toBe(""); // no omitempty in Go: "" is sent
    expect("reason" in ev).toBe(false);

    const port = (p: Part) => msg(1, p);
    const svc = decodeK8sProtobuf(envelope("v1", "Service", [
      ...msg(2, port([...int(3, 80), ...msg(4, int(1, 0), int(2, 8080))]), port([...int(3, 81), ...msg(4, int(1, 1), str(3, "web"))])),
    ])).object as Record<string, any>;
    expect(svc.spec.ports).toEqual([{ port: 80, targetPort: 8080 }, { port: 81, targetPort: "web" }]);

    const quota = decodeK8sProtobuf(envelope("v1", "ResourceQuota", [
      ...msg(2, msg(1, str(1, "cpu"), msg(2, str(1, "500m")))),
    ])).object as Record<string, any>;
    expect(quota.spec).toEqual({ hard: { cpu: "500m" } });

    const secret = decodeK8sProtobuf(envelope("v1", "Secret", [
      ...msg(2, str(1, "k"), [...tag(2, 2), 3, 0xff, 0x00, 0x41]),
    ])).object as Record<string, any>;
    expect(secret.data).toEqual({ k: Buffer.from([0xff, 0x00, 0x41]).toString("base64") });
  });

  test("unknown field numbers are skipped, packed repeated ints are read", () => {
    // ContainerStatus has no repeated ints; PodSecurityContext.supplementalGroups (4) is repeated int64.
    const psc = [...tag(4, 2), 3, 1, 2, 3, ...int(4, 7)];
    const spec = [...msg(14, psc), ...str(999, "from the future")];
    const pod = decodeK8sProtobuf(envelope("v1", "Pod", [...msg(2, spec)])).object as Record<string, any>;
    expect(pod.spec.securityContext.supplementalGroups).toEqual([1, 2, 3, 7]);
    expect(JSON.stringify(pod)).not.toContain("future");
  });

  test("typed errors", () => {
    const code = (fn: () => unknown) => {
      try { fn(); } catch (e) { if (e instanceof ProtobufDecodeError) return e.code; throw e; }
      return "none";
    };
    expect(code(() => decodeK8sProtobuf(new TextEncoder().encode('{"kind":"ConfigMap"}')))).toBe("BadMagic");
    expect(code(() => decodeK8sProtobuf(new Uint8Array([0x6b, 0x38, 0x73])))).toBe("BadMagic");
    expect(code(() => decodeK8sProtobuf(envelope("v1", "ConfigMap", []).subarray(0, 10)))).toBe("Truncated");
    expect(code(() => decodeK8sProtobuf(envelope("v1", "Frobnicator", [])))).toBe("UnknownKind");
    expect(code(() => decodeK8sProtobuf(envelope("v1", "ConfigMap", [], str(3, "gzip"))))).toBe("ContentEncoding");
    // name (field 1 of ObjectMeta) sent as a varint
    expect(code(() => decodeK8sProtobuf(envelope("v1", "ConfigMap", msg(1, int(1, 5)))))).toBe("WireType");
    expect(code(() => decodeK8sProtobuf(new Uint8Array([0x6b, 0x38, 0x73, 0x00, 0x0a, 0x00])))).toBe("Invalid");
    const e = (() => { try { decodeK8sProtobuf(envelope("v1", "ConfigMap", msg(1, int(1, 5)))); } catch (x) { return x as Error; } })();
    expect(e!.message).toContain("meta.v1.ObjectMeta.name");
    expect(e!.message).toMatch(/at byte \d+/);
  });

  test("helpers", () => {
    expect(readEnvelope(envelope("apps/v1", "Deployment", [1, 2])).kind).toBe("Deployment");
    expect(messageForKind("apps/v1", "Deployment")).toBe("apps.v1.Deployment");
    expect(messageForKind("batch/v1", "DeleteOptions")).toBe("meta.v1.DeleteOptions");
    expect(isProtobufContentType("application/vnd.kubernetes.protobuf; charset=x")).toBe(true);
    expect(isProtobufContentType("application/json")).toBe(false);
    expect(goDuration(0n)).toBe("0s");
    expect(goDuration(90_000_000_000n)).toBe("1m30s");
    expect(goDuration(3_600_000_000_000n + 500_000_000n)).toBe("1h0m0.5s");
    expect(goDuration(1_500_000n)).toBe("1.5ms");
    expect(goDuration(-2_000n)).toBe("-2µs");
    expect(rfc3339(0, 0, false)).toBe("1970-01-01T00:00:00Z");
  });

  test("DeleteOptions bodies from typed clients", () => {
    const d = decodeK8sProtobuf(envelope("v1", "DeleteOptions", [...int(1, 0), ...str(4, "Background")]));
    expect(d.object).toEqual({ kind: "DeleteOptions", apiVersion: "v1", gracePeriodSeconds: 0, propagationPolicy: "Background" });
  });
});

describe("malformed input never escapes as anything but ProtobufDecodeError", () => {
  test("every truncation and many byte flips of real bodies", () => {
    let seed = 42;
    const rand = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
    let failures = 0, successes = 0;
    const attempt = (b: Uint8Array) => {
      try { decodeK8sProtobuf(b); successes++; } catch (e) {
        if (!(e instanceof ProtobufDecodeError)) throw e;
        failures++;
      }
    };
    for (const f of fixtures.bodies) {
      const body = new Uint8Array(Buffer.from(f.protobuf132, "base64"));
      for (let n = 0; n < body.length; n++) attempt(body.subarray(0, n));
      for (let i = 0; i < 200; i++) {
        const copy = body.slice();
        copy[Math.floor(rand() * copy.length)] = Math.floor(rand() * 256);
        attempt(copy);
      }
    }
    expect(failures).toBeGreaterThan(1000);
    expect(successes).toBeGreaterThan(0);
  });
});
