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

/** Entries of status.disruptedPods the eviction API keeps at most (upstream MaxDisruptedPodSize). */
const MAX_DISRUPTED_PODS = 2000;

function isReady(pod: Obj): boolean {
  return ((pod.status?.conditions ?? []) as Obj[]).some((c) => c.type === "Ready" && c.status === "True");
}

function budgetRefusal(pdb: Obj, message: string): ApiError {
  return new ApiError(429, "TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget.", { causes: [{ reason: "DisruptionBudget", message }] });
}

/**
 * pods/eviction as upstream's eviction REST: pods that are not running (Pending, Succeeded,
 * Failed) or already deleting go at once; otherwise the one PodDisruptionBudget that
 * selects the pod must have been processed by the disruption controller (observedGeneration)
 * and allow a disruption, which this eviction then takes: disruptionsAllowed is decremented
 * and the pod recorded in status.disruptedPods in the same compare-and-swap write, so
 * concurrent evictions (kubectl drain evicts in parallel) cannot exceed the budget. An
 * unready pod is evicted without taking a disruption when the budget is otherwise met.
 */
export function evictionSubresource(catalog: Catalog): SubresourceHandler {
  return {
    verbs: ["create"],
    responseKind: { group: "policy", version: "v1", kind: "Eviction" },
    async handle({ namespace, name, body, ctx }) {
      const reg = pods(catalog).registry;
      const pod = await reg.get(namespace, name);
      const opts = { ...((body?.deleteOptions ?? {}) as Obj) };
      const phase = pod.status?.phase;
      const canIgnoreBudget = phase === "Succeeded" || phase === "Failed" || phase === "Pending" || Boolean(pod.metadata.deletionTimestamp);
      if (!canIgnoreBudget) {
        const pdbReg = catalog.lookupResource("policy", "poddisruptionbudgets")?.registry;
        const pdbs = pdbReg ? (await catalog.list("policy", "poddisruptionbudgets", namespace)).filter((pdb) => fromLabelSelector(pdb.spec?.selector).matches(pod.metadata.labels ?? {})) : [];
        if (pdbs.length > 1) throw errors.internal("This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.");
        const pdb = pdbs[0];
        let takesDisruption = Boolean(pdb);
        if (pdb && !isReady(pod)) {
          // An unhealthy pod does not count towards the budget: evicting it costs nothing when
          // the budget is met (IfHealthyBudget) or the policy says so (AlwaysAllow).
          const st = pdb.status ?? {};
          if (pdb.spec?.unhealthyPodEvictionPolicy === "AlwaysAllow" || ((st.currentHealthy ?? 0) >= (st.desiredHealthy ?? 0) && (st.desiredHealthy ?? 0) > 0)) takesDisruption = false;
        }
        if (takesDisruption) {
          await pdbReg!.systemUpdate(namespace, pdb!.metadata.name, ctx, (cur) => {
            const st = (cur.status ??= {});
            if ((st.observedGeneration ?? 0) < (cur.metadata.generation ?? 0)) throw budgetRefusal(cur, `The disruption budget ${cur.metadata.name} is still being processed by the server.`);
            const allowed = st.disruptionsAllowed ?? 0;
            if (allowed < 0) throw errors.forbidden("pdb disruptions allowed is negative");
            if (Object.keys(st.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS) throw errors.forbidden("DisruptedPods map too big - too many evictions not confirmed by PDB controller");
            if (allowed === 0) throw budgetRefusal(cur, `The disruption budget ${cur.metadata.name} needs ${st.desiredHealthy ?? 0} healthy pods and has ${st.currentHealthy ?? 0} currently`);
            st.disruptionsAllowed = allowed - 1;
            if (st.disruptionsAllowed === 0) {
              const conds = ((st.conditions ?? []) as Obj[]).filter((c) => c.type !== "DisruptionAllowed");
              const old = ((st.conditions ?? []) as Obj[]).find((c) => c.type === "DisruptionAllowed");
              conds.push({ type: "DisruptionAllowed", status: "False", reason: "InsufficientPods", message: "", lastTransitionTime: old?.status === "False" ? old.lastTransitionTime : rfc3339(ctx.now), observedGeneration: st.observedGeneration });
              st.conditions = conds;
            }
            st.disruptedPods = { ...(st.disruptedPods ?? {}), [name]: rfc3339(ctx.now) };
            return cur;
          });
        } else if (pdb) {
          // Evicted for free only while it is still the unready pod that was judged.
          opts.preconditions = { ...(opts.preconditions ?? {}), resourceVersion: pod.metadata.resourceVersion };
        }
      }
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
