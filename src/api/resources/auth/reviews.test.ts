import { describe, expect, test } from "bun:test";
import type { Obj, OpContext } from "../../registry/types.ts";
import { ApiError } from "../../errors.ts";
import { selfSubjectAccessReviewDef, selfSubjectReviewDef, selfSubjectRulesReviewDef, subjectAccessReviewDef, tokenReviewDef, ALLOW_REASON } from "./reviews.ts";
import { testCtx } from "../core/pods/testing.ts";

const anon: OpContext = { ...testCtx(), user: { username: "system:anonymous", groups: ["system:unauthenticated"] } };

describe("access reviews", () => {
  test("can-i: the body kubectl sends gets allowed:true for an authenticated user", async () => {
    const body: Obj = { kind: "SelfSubjectAccessReview", apiVersion: "authorization.k8s.io/v1", metadata: { creationTimestamp: null }, spec: { resourceAttributes: { namespace: "default", verb: "create", resource: "pods" } }, status: { allowed: false } };
    const out = await selfSubjectAccessReviewDef().virtual!(body, testCtx());
    expect(out.status).toEqual({ allowed: true, reason: ALLOW_REASON });
    expect(out.spec).toEqual(body.spec);
    expect(out.kind).toBe("SelfSubjectAccessReview");
    expect((await selfSubjectAccessReviewDef().virtual!(body, anon)).status.allowed).toBe(false);
  });

  test("exactly one of resourceAttributes / nonResourceAttributes", async () => {
    const def = selfSubjectAccessReviewDef();
    let err: unknown;
    try {
      await def.virtual!({ spec: {} }, testCtx());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(422);
    expect((err as ApiError).message).toBe('SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified');
    await expect(def.virtual!({ spec: { resourceAttributes: {}, nonResourceAttributes: {} } }, testCtx())).rejects.toThrow("cannot be specified in combination with resourceAttributes");
    expect(def.verbs).toEqual(["create"]);
  });

  test("subject access review needs a user or group", async () => {
    const def = subjectAccessReviewDef();
    await expect(def.virtual!({ spec: { resourceAttributes: { verb: "get" } } }, testCtx())).rejects.toThrow("at least one of user or group must be specified");
    expect((await def.virtual!({ spec: { user: "bob", resourceAttributes: { verb: "get" } } }, testCtx())).status.allowed).toBe(true);
  });

  test("rules review grants everything", async () => {
    const out = await selfSubjectRulesReviewDef().virtual!({ spec: { namespace: "default" } }, testCtx());
    expect(out.status).toEqual({ resourceRules: [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }], nonResourceRules: [{ verbs: ["*"], nonResourceURLs: ["*"] }], incomplete: false });
  });
});

describe("authentication reviews", () => {
  test("whoami", async () => {
    const ctx = { ...testCtx(), user: { username: "alice", uid: "u-1", groups: ["devs", "system:authenticated"] } };
    const out = await selfSubjectReviewDef().virtual!({}, ctx);
    expect(out.status).toEqual({ userInfo: { username: "alice", uid: "u-1", groups: ["devs", "system:authenticated"] } });
    expect(out.metadata.creationTimestamp).toBe("2025-01-01T00:00:00Z");
  });

  test("token review uses the injected verifier", async () => {
    const def = tokenReviewDef(async (t) => (t === "good" ? { username: "system:node:n1", groups: ["system:nodes"] } : null));
    const ok = await def.virtual!({ spec: { token: "good", audiences: ["kite"] } }, testCtx());
    expect(ok.status).toEqual({ authenticated: true, user: { username: "system:node:n1", groups: ["system:nodes"] }, audiences: ["kite"] });
    const bad = await def.virtual!({ spec: { token: "bad" } }, testCtx());
    expect(bad.status.authenticated).toBe(false);
    await expect(def.virtual!({ spec: {} }, testCtx())).rejects.toThrow("token is required for TokenReview in authentication");
    const boom = tokenReviewDef(async () => {
      throw new Error("verifier down");
    });
    expect((await boom.virtual!({ spec: { token: "x" } }, testCtx())).status).toEqual({ authenticated: false, user: {}, error: "verifier down" });
  });
});
