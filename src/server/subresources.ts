/**
 * @module server/subresources
 * Subresources that need the server's runtime pieces: pods/binding (the scheduler's
 * write), pods/eviction (drain, node lifecycle; honours PodDisruptionBudgets), and
 * serviceaccounts/token (TokenRequest, signed JWTs).
 */
import type { Catalog } from "../api/registry/catalog.ts";
import type { Obj, SubresourceHandler } from "../api/registry/types.ts";
import { ApiError, errors, field } from "../api/errors.ts";
import { json } from "../api/http/respond.ts";
import { rfc3339 } from "../api/registry/objects.ts";
import { fromLabelSelector } from "../api/selectors/labels.ts";
import type { ServiceAccountTokens } from "./service-accounts.ts";

function pods(catalog: Catalog) {
  const e = catalog.lookupResource("", "pods");
  if (!e) throw new Error("pods are not served");
  return e;
}

export function bindingSubresource(catalog: Catalog): SubresourceHandler {
  return {
    verbs: ["create"],
    responseKind: { group: "", version: "v1", kind: "Binding" },
    async handle({ namespace, name, body, ctx }) {
      const target = body?.target;
      if (!target?.name) throw errors.invalid("Binding", "", name, [field.required("target.name")]);
      if (target.kind && target.kind !== "Node") throw errors.invalid("Binding", "", name, [field.notSupported("target.kind", target.kind, ["Node"])]);
      const reg = pods(catalog).registry;
      await reg.systemUpdate(namespace, name, ctx, (pod) => {
        if (body?.metadata?.uid && body.metadata.uid !== pod.metadata.uid) {
          throw errors.conflict("pods", "", name, `Precondition failed: UID in precondition: ${body.metadata.uid}, UID in object meta: ${pod.metadata.uid}`);
        }
        if (pod.metadata.deletionTimestamp) throw errors.conflict("pods", "", name, "pod is being deleted, cannot be assigned to a host");
        if (pod.spec.nodeName) throw errors.conflict("pods", "", name, `pod ${name} is already assigned to node "${pod.spec.nodeName}"`);
        pod.spec.nodeName = target.name;
        const conds: Obj[] = (pod.status ??= {}).conditions ?? [];
        const now = rfc3339(ctx.now);
        pod.status.conditions = [...conds.filter((c) => c.type !== "PodScheduled"), { type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: now }];
        for (const [k, v] of Object.entries((body?.metadata?.annotations ?? {}) as Record<string, string>)) (pod.metadata.annotations ??= {})[k] = v;
        return pod;
      });
      return json({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 }, 201);
    },
  };
}

export function evictionSubresource(catalog: Catalog): SubresourceHandler {
  return {
    verbs: ["create"],
    responseKind: { group: "policy", version: "v1", kind: "Eviction" },
    async handle({ namespace, name, body, ctx }) {
      const reg = pods(catalog).registry;
      const pod = await reg.get(namespace, name);
      // PodDisruptionBudgets: refuse when a matching budget allows no disruption (unless the pod is not running).
      const phase = pod.status?.phase;
      if (phase !== "Succeeded" && phase !== "Failed" && !pod.metadata.deletionTimestamp) {
        const pdbs = await catalog.list("policy", "poddisruptionbudgets", namespace);
        for (const pdb of pdbs) {
          const sel = fromLabelSelector(pdb.spec?.selector);
          if (!sel.matches(pod.metadata.labels ?? {})) continue;
          if ((pdb.status?.disruptionsAllowed ?? 0) <= 0) {
            throw new ApiError(429, "TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget.", {
              causes: [{ reason: "DisruptionBudget", message: `The disruption budget ${pdb.metadata.name} needs ${pdb.status?.desiredHealthy ?? 0} healthy pods and has ${pdb.status?.currentHealthy ?? 0} currently` }],
            });
          }
        }
      }
      const opts = (body?.deleteOptions ?? {}) as Obj;
      await reg.delete(namespace, name, opts, ctx);
      return json({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 }, 201);
    },
  };
}

export function tokenSubresource(catalog: Catalog, tokens: ServiceAccountTokens): SubresourceHandler {
  return {
    verbs: ["create"],
    responseKind: { group: "authentication.k8s.io", version: "v1", kind: "TokenRequest" },
    async handle({ namespace, name, body, ctx }) {
      const sa = await catalog.lookupResource("", "serviceaccounts")!.registry.get(namespace, name);
      const spec = (body?.spec ?? {}) as Obj;
      const exp = spec.expirationSeconds ?? 3600;
      if (!Number.isInteger(exp) || exp < 600) throw errors.invalid("TokenRequest", "authentication.k8s.io", name, [field.invalid("spec.expirationSeconds", exp, "may not specify a duration less than 10 minutes")]);
      let pod: { name: string; uid: string } | undefined;
      const ref = spec.boundObjectRef as Obj | undefined;
      if (ref) {
        if (ref.kind !== "Pod") throw errors.invalid("TokenRequest", "authentication.k8s.io", name, [field.notSupported("spec.boundObjectRef.kind", ref.kind, ["Pod"])]);
        const p = await pods(catalog).registry.get(namespace, ref.name);
        if (ref.uid && ref.uid !== p.metadata.uid) throw errors.conflict("pods", "", ref.name, `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
        pod = { name: p.metadata.name, uid: p.metadata.uid };
      }
      const audiences = (spec.audiences as string[] | undefined)?.length ? (spec.audiences as string[]) : undefined;
      const signed = await tokens.issue({ namespace: namespace!, serviceAccount: { name, uid: sa.metadata.uid }, audiences, pod }, exp);
      void ctx;
      return json(
        {
          kind: "TokenRequest",
          apiVersion: "authentication.k8s.io/v1",
          metadata: { name, namespace, creationTimestamp: null },
          spec: { audiences: signed.claims.aud, expirationSeconds: exp, boundObjectRef: ref ?? null },
          status: { token: signed.token, expirationTimestamp: rfc3339(signed.expirationTimestamp) },
        },
        201,
      );
    },
  };
}

/** Attach the runtime subresources to the served kinds. */
export function attachSubresources(catalog: Catalog, tokens: ServiceAccountTokens, extra: { pods?: Record<string, SubresourceHandler> } = {}) {
  const p = pods(catalog).def;
  p.subresources = { ...(p.subresources ?? {}), binding: bindingSubresource(catalog), eviction: evictionSubresource(catalog), ...(extra.pods ?? {}) };
  const sa = catalog.lookupResource("", "serviceaccounts")!.def;
  sa.subresources = { ...(sa.subresources ?? {}), token: tokenSubresource(catalog, tokens) };
}
