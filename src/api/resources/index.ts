/**
 * @module api/resources
 * Every built-in kind kite's API server serves, as declarative ResourceDefs for the
 * generic registry (see registry/types.ts). `builtinResources(opts)` returns them in
 * discovery-friendly order; CRDs add theirs at run time via `crdToResourceDefs`.
 */
import type { ResourceDef } from "../registry/types.ts";
import type { VerifyToken } from "./auth/reviews.ts";
import { podDef } from "./core/pods/pod.ts";
import { serviceDef } from "./core/services.ts";
import { namespaceDef } from "./core/namespaces.ts";
import { nodeDef } from "./core/nodes.ts";
import { configMapDef, secretDef, serviceAccountDef } from "./core/config.ts";
import { endpointsDef } from "./core/endpoints.ts";
import { coreEventDef, eventsV1Def } from "./core/events.ts";
import { pvDef, pvcDef } from "./core/volumes.ts";
import { limitRangeDef, resourceQuotaDef } from "./core/quotas.ts";
import { deploymentDef, replicaSetDef } from "./apps/deployments.ts";
import { controllerRevisionDef, daemonSetDef, statefulSetDef } from "./apps/daemonsets.ts";
import { jobDef } from "./batch/jobs.ts";
import { cronJobDef } from "./batch/cronjobs.ts";
import { leaseDef } from "./groups/coordination.ts";
import { endpointSliceDef } from "./groups/endpointslices.ts";
import { storageClassDef } from "./groups/storage.ts";
import { pdbDef, priorityClassDef } from "./groups/policy.ts";
import { ingressClassDef, ingressDef, networkPolicyDef } from "./groups/networking.ts";
import { bindingDefs, roleDefs } from "./groups/rbac.ts";
import { crdDef } from "./apiextensions/crds.ts";
import { selfSubjectAccessReviewDef, selfSubjectReviewDef, selfSubjectRulesReviewDef, subjectAccessReviewDef, tokenReviewDef } from "./auth/reviews.ts";

export interface BuiltinOptions {
  /** DefaultTolerationSeconds for node.kubernetes.io/unreachable (and not-ready unless set). Upstream: 300. */
  defaultUnreachableTolerationSeconds: number;
  defaultNotReadyTolerationSeconds?: number;
  /** Token verifier for TokenReview; TokenReview is not served without one. */
  verifyToken?: VerifyToken;
  /** Service ClusterIP range (default 10.43.0.0/16, like k3s). */
  serviceCidr?: string;
  /**
   * Serve events.k8s.io/v1 Events (default true). Upstream keeps them in the same storage
   * as core/v1 Events; see core/events.ts for the conversion functions.
   */
  eventsV1?: boolean;
}

export function builtinResources(opts: BuiltinOptions): ResourceDef[] {
  const defs: ResourceDef[] = [
    // core/v1
    namespaceDef(),
    nodeDef(),
    podDef({ defaultUnreachableTolerationSeconds: opts.defaultUnreachableTolerationSeconds, defaultNotReadyTolerationSeconds: opts.defaultNotReadyTolerationSeconds }),
    serviceDef({ serviceCidr: opts.serviceCidr }),
    endpointsDef(),
    configMapDef(),
    secretDef(),
    serviceAccountDef(),
    coreEventDef(),
    pvDef(),
    pvcDef(),
    resourceQuotaDef(),
    limitRangeDef(),
    // apps/v1
    deploymentDef(),
    replicaSetDef(),
    daemonSetDef(),
    statefulSetDef(),
    controllerRevisionDef(),
    // batch/v1
    jobDef(),
    cronJobDef(),
    // other groups
    leaseDef(),
    endpointSliceDef(),
    storageClassDef(),
    pdbDef(),
    priorityClassDef(),
    ingressDef(),
    ingressClassDef(),
    networkPolicyDef(),
    ...roleDefs(),
    ...bindingDefs(),
    crdDef(),
    // create-only reviews
    selfSubjectAccessReviewDef(),
    selfSubjectRulesReviewDef(),
    subjectAccessReviewDef(),
    selfSubjectReviewDef(),
    selfSubjectReviewDef("v1beta1"),
  ];
  if (opts.eventsV1 !== false) defs.push(eventsV1Def());
  if (opts.verifyToken) defs.push(tokenReviewDef(opts.verifyToken));
  return defs;
}

export { crdToResourceDefs } from "./apiextensions/crd-resources.ts";
export { Quantity, QuantityError, parseQuantity, canonicalQuantity } from "./quantity.ts";
export { parseCron, nextActivation, cronError, timeZoneError, CronError } from "./batch/cron.ts";
export { systemPriorityClasses } from "./groups/policy.ts";
export { coreEventToV1, v1EventToCore } from "./core/events.ts";
export { selectorString, selectorMatches, formatLabelSelector } from "./common/label-selector.ts";
export { computeQOS } from "./core/pods/qos.ts";
export { podGracePeriod } from "./core/pods/pod.ts";
export { allocateService, keepAllocatedValues } from "./core/service-alloc.ts";
