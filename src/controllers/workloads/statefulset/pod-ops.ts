/**
 * @module controllers/workloads/statefulset/pod-ops
 * The API side of StatefulSet pods (upstream StatefulPodControl): PVCs from
 * volumeClaimTemplates are created before their pod; PVC ownerReferences follow
 * persistentVolumeClaimRetentionPolicy (whenDeleted: Delete → owned by the set,
 * whenScaled: Delete → a scaled-down pod's claims owned by that pod, so the garbage
 * collector removes them); Events use upstream's wording ("create Pod web-0 in
 * StatefulSet web successful", "create Claim data-web-0 Pod web-0 in StatefulSet web
 * success").
 */
import { isAlreadyExists, isNotFound, type KObj, type KubeClient } from "../../../client/client.ts";
import type { EventRecorder } from "../../../client/events.ts";
import { objectKey, type Informer } from "../../../client/informer.ts";
import { R } from "../../../client/resources.ts";
import type { Expectations } from "../util/expectations.ts";
import type { StatefulPodOps } from "./control.ts";
import { claimsFor, identityMatches, inOrdinalRange, ordinalOf, storageMatches, updateIdentity, updateStorage } from "./identity.ts";

const title = (verb: string) => verb[0]!.toUpperCase() + verb.slice(1);

interface Ref {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

export class StatefulSetPodOps implements StatefulPodOps {
  constructor(
    private readonly client: KubeClient,
    private readonly recorder: EventRecorder,
    private readonly claims: Informer,
    private readonly expectations: Expectations,
    private readonly key: string,
  ) {}

  event(set: KObj, type: "Normal" | "Warning", reason: string, message: string) {
    this.recorder.event(set, type, reason, message);
  }

  private podEvent(verb: string, set: KObj, pod: KObj, err?: unknown) {
    if (!err) this.recorder.event(set, "Normal", `Successful${title(verb)}`, `${verb} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
    else this.recorder.event(set, "Warning", `Failed${title(verb)}`, `${verb} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${(err as Error).message}`);
  }

  private claimEvent(verb: string, set: KObj, pod: KObj, claim: KObj, err?: unknown) {
    if (!err) this.recorder.event(set, "Normal", `Successful${title(verb)}`, `${verb} Claim ${claim.metadata.name} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} success`);
    else this.recorder.event(set, "Warning", `Failed${title(verb)}`, `${verb} Claim ${claim.metadata.name} for Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${(err as Error).message}`);
  }

  async createMissingClaims(set: KObj, pod: KObj): Promise<void> {
    const errors: string[] = [];
    for (const claim of claimsFor(set, pod.metadata.name).values()) {
      const existing = this.claims.get(set.metadata.namespace, claim.metadata.name);
      if (existing) {
        if (existing.metadata.deletionTimestamp) errors.push(`pvc ${claim.metadata.name} is being deleted`);
        continue;
      }
      this.applyRetention(set, pod, claim);
      try {
        await this.client.create(R.persistentvolumeclaims, set.metadata.namespace, claim);
        this.claimEvent("create", set, pod, claim);
      } catch (e) {
        if (isAlreadyExists(e)) continue;
        this.claimEvent("create", set, pod, claim, e);
        errors.push(`failed to create PVC ${claim.metadata.name}: ${(e as Error).message}`);
      }
    }
    if (errors.length) throw new Error(errors.join("; "));
  }

  async createPod(set: KObj, pod: KObj): Promise<void> {
    try {
      await this.createMissingClaims(set, pod);
    } catch (e) {
      this.podEvent("create", set, pod, e);
      throw e;
    }
    this.expectations.raise(this.key, 1);
    try {
      await this.client.create(R.pods, set.metadata.namespace, pod);
    } catch (e) {
      this.expectations.creationFailed(this.key);
      if (!isAlreadyExists(e)) this.podEvent("create", set, pod, e);
      throw e;
    }
    this.podEvent("create", set, pod);
  }

  async deletePod(set: KObj, pod: KObj): Promise<void> {
    this.expectations.raise(this.key, 0, [objectKey(pod)]);
    try {
      await this.client.delete(R.pods, pod.metadata.namespace, pod.metadata.name, { preconditions: { uid: pod.metadata.uid } });
      this.podEvent("delete", set, pod);
    } catch (e) {
      this.expectations.deletionObserved(this.key, objectKey(pod));
      if (isNotFound(e)) return;
      this.podEvent("delete", set, pod, e);
      throw e;
    }
  }

  async updatePod(set: KObj, pod: KObj): Promise<void> {
    if (!identityMatches(set, pod)) updateIdentity(set, pod, ordinalOf(pod));
    if (!storageMatches(set, pod)) {
      updateStorage(set, pod);
      await this.createMissingClaims(set, pod);
    }
    if (!this.claimsMatchRetention(set, pod)) await this.updateClaimRetention(set, pod);
    try {
      await this.client.update(R.pods, pod.metadata.namespace, pod);
      this.podEvent("update", set, pod);
    } catch (e) {
      this.podEvent("update", set, pod, e);
      throw e;
    }
  }

  /** The ownerReferences a claim should carry for this set and pod. */
  private wantedRefs(set: KObj, pod: KObj, claim: KObj): Ref[] {
    const policy = set.spec?.persistentVolumeClaimRetentionPolicy ?? {};
    const setRef: Ref = { apiVersion: "apps/v1", kind: "StatefulSet", name: set.metadata.name, uid: set.metadata.uid };
    const podRef: Ref | undefined = pod.metadata.uid ? { apiVersion: "v1", kind: "Pod", name: pod.metadata.name, uid: pod.metadata.uid } : undefined;
    const others = (claim.metadata.ownerReferences ?? []).filter((r: Ref) => r.uid !== setRef.uid && r.uid !== podRef?.uid);
    const scaledDown = !inOrdinalRange(set, ordinalOf(pod));
    const refs: Ref[] = [...others];
    if (policy.whenScaled === "Delete" && scaledDown) {
      if (podRef) refs.push(podRef);
    } else if (policy.whenDeleted === "Delete") refs.push(setRef);
    return refs;
  }

  private applyRetention(set: KObj, pod: KObj, claim: KObj) {
    const refs = this.wantedRefs(set, pod, claim);
    if (refs.length) claim.metadata.ownerReferences = refs;
    else delete claim.metadata.ownerReferences;
  }

  claimsMatchRetention(set: KObj, pod: KObj): boolean {
    for (const c of claimsFor(set, pod.metadata.name).values()) {
      const existing = this.claims.get(set.metadata.namespace, c.metadata.name);
      if (!existing) continue;
      const want = this.wantedRefs(set, pod, existing).map((r) => r.uid).sort();
      const have = (existing.metadata.ownerReferences ?? []).map((r: Ref) => r.uid).sort();
      if (JSON.stringify(want) !== JSON.stringify(have)) return false;
    }
    return true;
  }

  async updateClaimRetention(set: KObj, pod: KObj): Promise<void> {
    for (const c of claimsFor(set, pod.metadata.name).values()) {
      const existing = this.claims.get(set.metadata.namespace, c.metadata.name);
      if (!existing) continue;
      const refs = this.wantedRefs(set, pod, existing);
      await this.client.patch(R.persistentvolumeclaims, existing.metadata.namespace, existing.metadata.name, { metadata: { ownerReferences: refs.length ? refs : null, resourceVersion: existing.metadata.resourceVersion } });
    }
  }
}
