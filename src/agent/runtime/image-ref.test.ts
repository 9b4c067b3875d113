import { describe, expect, test } from "bun:test";
import { normalizeImageRef } from "./image-ref.ts";
import { InvalidSpecError } from "./types.ts";

describe("normalizeImageRef", () => {
  test.each([
    ["busybox", "docker.io/library/busybox:latest"],
    ["busybox:1.36", "docker.io/library/busybox:1.36"],
    ["library/busybox", "docker.io/library/busybox:latest"],
    ["someone/app", "docker.io/someone/app:latest"],
    ["index.docker.io/someone/app:v1", "docker.io/someone/app:v1"],
    ["localhost/kite-test/busybox:1", "localhost/kite-test/busybox:1"],
    ["localhost:5000/app", "localhost:5000/app:latest"],
    ["registry.example.com/a/b/c:2", "registry.example.com/a/b/c:2"],
    ["quay.io/x/y@sha256:" + "a".repeat(64), "quay.io/x/y@sha256:" + "a".repeat(64)],
    ["nginx:1.25@sha256:" + "b".repeat(64), "docker.io/library/nginx:1.25@sha256:" + "b".repeat(64)],
  ])("%s → %s", (input, want) => {
    expect(normalizeImageRef(input)).toBe(want);
  });

  test.each(["", "Busybox", "has space", "x:bad/tag", "x@sha256:short", "a//b"])("rejects %p", (bad) => {
    expect(() => normalizeImageRef(bad)).toThrow(InvalidSpecError);
  });
});
