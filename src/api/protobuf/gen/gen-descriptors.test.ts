import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kubectlBinary } from "../../openapi/kubectl-stub.ts";
import { extractGoTypes } from "./extract-go-types.ts";

const have = !!(kubectlBinary(32) && kubectlBinary(33));

test.skipIf(!have)("the committed descriptor table is what the generator extracts from kubectl 1.32/1.33", () => {
  const dir = mkdtempSync(join(tmpdir(), "kite-descriptors-"));
  try {
    const out = join(dir, "d.ts");
    const r = Bun.spawnSync(["bun", join(import.meta.dir, "gen-descriptors.ts")], { env: { ...process.env, GEN_DESCRIPTORS_OUT: out } });
    expect(r.stderr.toString()).toBe("");
    expect(r.exitCode).toBe(0);
    expect(readFileSync(out, "utf8")).toBe(readFileSync(join(import.meta.dir, "..", "descriptors.generated.ts"), "utf8"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test.skipIf(!have)("the Go type reader finds struct tags that match upstream generated.proto", () => {
  const t = extractGoTypes(kubectlBinary(32)!, (n) => n.startsWith("k8s.io/api/core/v1.") || n.startsWith("k8s.io/apimachinery/pkg/apis/meta/v1."));
  const spec = t.structs["k8s.io/api/core/v1.PodSpec"]!;
  const tag = (f: string) => spec.find((x) => x.name === f)!.tag;
  // generated.proto: repeated PodSchedulingGate schedulingGates = 38; optional bool hostUsers = 37; map<string, Quantity> overhead = 32
  expect(tag("SchedulingGates")).toContain("protobuf:\"bytes,38,");
  expect(tag("HostUsers")).toContain(",37,");
  expect(tag("Overhead")).toContain("protobuf:\"bytes,32,"); // the tag says opt; the Go type (a map) decides
  expect(spec.find((x) => x.name === "Overhead")!.type).toBe("k8s.io/api/core/v1.ResourceList");
  expect(spec.find((x) => x.name === "Containers")!.type).toBe("[]k8s.io/api/core/v1.Container");
  const meta = t.structs["k8s.io/apimachinery/pkg/apis/meta/v1.ObjectMeta"]!;
  expect(meta.find((x) => x.name === "CreationTimestamp")!.tag).toContain("protobuf:\"bytes,8,opt,name=creationTimestamp\"");
  expect(() => extractGoTypes("/bin/sh", () => true)).toThrow();
}, 60_000);
