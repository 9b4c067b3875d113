/**
 * @module api/resources/auth/reviews
 * The create-only review kinds kubectl uses (`auth can-i`, `auth can-i --list`,
 * `auth whoami`) and TokenReview. kite does not enforce RBAC, so access reviews allow
 * every authenticated user and say so in `reason`; anonymous requests are not allowed.
 * Validation follows upstream (one of resourceAttributes / nonResourceAttributes...).
 */
import { errors, field } from "../../errors.ts";
import type { Obj, OpContext, ResourceDef, UserInfo } from "../../registry/types.ts";
import { rfc3339 } from "../../registry/objects.ts";
import { isObj, type Causes } from "../common/causes.ts";

const AUTHZ = "authorization.k8s.io";
const AUTHN = "authentication.k8s.io";

export const ALLOW_REASON = "kite does not enforce RBAC: every authenticated user is allowed";
export const ANONYMOUS_REASON = "kite allows authenticated users only; this request is anonymous";

export function isAnonymous(user: UserInfo): boolean {
  return user.username === "system:anonymous" || user.groups.includes("system:unauthenticated");
}

function emptyMeta(meta: unknown): boolean {
  if (!isObj(meta)) return true;
  return Object.entries(meta).every(([k, v]) => v === null || v === undefined || k === "managedFields" || (isObj(v) && Object.keys(v).length === 0));
}

function accessSpecCauses(spec: Obj): Causes {
  const out: Causes = [];
  const r = spec.resourceAttributes;
  const n = spec.nonResourceAttributes;
  if (isObj(r) && isObj(n)) out.push(field.invalid("spec.nonResourceAttributes", n, "cannot be specified in combination with resourceAttributes"));
  if (!isObj(r) && !isObj(n)) out.push(field.invalid("spec.resourceAttributes", null, "exactly one of nonResourceAttributes or resourceAttributes must be specified"));
  return out;
}

function fail(kind: string, group: string, causes: Causes): never {
  throw errors.invalid(kind, group, "", causes);
}

function review(kind: string, group: string, obj: Obj, status: Obj): Obj {
  return { kind, apiVersion: `${group}/v1`, metadata: isObj(obj.metadata) ? obj.metadata : {}, spec: obj.spec ?? {}, status };
}

function accessStatus(user: UserInfo): Obj {
  return isAnonymous(user) ? { allowed: false, reason: ANONYMOUS_REASON } : { allowed: true, reason: ALLOW_REASON };
}

function virtualDef(group: string, kind: string, plural: string, virtual: (obj: Obj, ctx: OpContext) => Promise<Obj>): ResourceDef {
  return { group, version: "v1", kind, plural, singular: plural.replace(/s$/, ""), namespaced: false, verbs: ["create"], virtual };
}

export function selfSubjectAccessReviewDef(): ResourceDef {
  return virtualDef(AUTHZ, "SelfSubjectAccessReview", "selfsubjectaccessreviews", async (obj, ctx) => {
    const spec = isObj(obj.spec) ? obj.spec : {};
    const causes = accessSpecCauses(spec);
    if (!emptyMeta(obj.metadata)) causes.push(field.invalid("metadata", obj.metadata, "must be empty"));
    if (causes.length) fail("SelfSubjectAccessReview", AUTHZ, causes);
    return review("SelfSubjectAccessReview", AUTHZ, obj, accessStatus(ctx.user));
  });
}

export function subjectAccessReviewDef(): ResourceDef {
  return virtualDef(AUTHZ, "SubjectAccessReview", "subjectaccessreviews", async (obj) => {
    const spec = isObj(obj.spec) ? obj.spec : {};
    const causes = accessSpecCauses(spec);
    const groups = Array.isArray(spec.groups) ? spec.groups : [];
    if (!spec.user && groups.length === 0) causes.push(field.invalid("spec.user", spec.user ?? "", "at least one of user or group must be specified"));
    if (!emptyMeta(obj.metadata)) causes.push(field.invalid("metadata", obj.metadata, "must be empty"));
    if (causes.length) fail("SubjectAccessReview", AUTHZ, causes);
    return review("SubjectAccessReview", AUTHZ, obj, accessStatus({ username: spec.user ?? "", groups }));
  });
}

/** The rules SelfSubjectRulesReview reports: everything for authenticated users. */
export function rulesFor(user: UserInfo): Obj {
  if (isAnonymous(user)) {
    return {
      resourceRules: [],
      nonResourceRules: [{ verbs: ["get"], nonResourceURLs: ["/healthz", "/livez", "/readyz", "/version", "/version/"] }],
      incomplete: false,
    };
  }
  return {
    resourceRules: [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }],
    nonResourceRules: [{ verbs: ["*"], nonResourceURLs: ["*"] }],
    incomplete: false,
  };
}

export function selfSubjectRulesReviewDef(): ResourceDef {
  return virtualDef(AUTHZ, "SelfSubjectRulesReview", "selfsubjectrulesreviews", async (obj, ctx) => {
    return review("SelfSubjectRulesReview", AUTHZ, obj, rulesFor(ctx.user));
  });
}

function userInfoJSON(u: UserInfo): Obj {
  const out: Obj = { username: u.username, groups: [...u.groups] };
  if (u.uid) out.uid = u.uid;
  if (u.extra && Object.keys(u.extra).length) out.extra = u.extra;
  return out;
}

/**
 * SelfSubjectReview (`kubectl auth whoami`). kubectl 1.27 asks for v1beta1 (then v1alpha1)
 * only, so v1beta1 is served too; the two versions have the same shape.
 */
export function selfSubjectReviewDef(version: "v1" | "v1beta1" = "v1"): ResourceDef {
  const def = virtualDef(AUTHN, "SelfSubjectReview", "selfsubjectreviews", async (_obj, ctx) => ({
    kind: "SelfSubjectReview",
    apiVersion: `${AUTHN}/${version}`,
    metadata: { creationTimestamp: rfc3339(ctx.now) },
    status: { userInfo: userInfoJSON(ctx.user) },
  }));
  def.version = version;
  return def;
}

export type VerifyToken = (token: string) => Promise<UserInfo | null>;

export function tokenReviewDef(verifyToken: VerifyToken): ResourceDef {
  return virtualDef(AUTHN, "TokenReview", "tokenreviews", async (obj) => {
    const spec = isObj(obj.spec) ? obj.spec : {};
    if (typeof spec.token !== "string" || spec.token.length === 0) throw errors.badRequest("token is required for TokenReview in authentication");
    const audiences = Array.isArray(spec.audiences) ? spec.audiences : [];
    let user: UserInfo | null = null;
    let error: string | undefined;
    try {
      user = await verifyToken(spec.token);
    } catch (e) {
      error = (e as Error).message;
    }
    const status: Obj = user ? { authenticated: true, user: userInfoJSON(user), audiences } : { authenticated: false, user: {}, ...(error ? { error } : {}) };
    return { kind: "TokenReview", apiVersion: `${AUTHN}/v1`, metadata: isObj(obj.metadata) ? obj.metadata : {}, spec, status };
  });
}
