/**
 * @module api/resources/core/pods/defaults
 * Defaulting of PodSpec and everything nested in it (SetDefaults_PodSpec, _Container,
 * _Probe, _HTTPGetAction, _Volume, _SecretVolumeSource...), shared by Pods and every pod
 * template (Deployments, Jobs...), plus the Pod-only defaults (SetDefaults_Pod: requests
 * from limits, enableServiceLinks). All functions mutate and are idempotent.
 */
import type { Obj } from "../../../registry/types.ts";
import { asArray, isObj } from "../../common/causes.ts";
import { canonicalizeResourceList } from "../../common/resource-list.ts";

const DEFAULT_FILE_MODE = 0o644; // 420

function unset(v: unknown): boolean {
  return v === undefined || v === null || v === "";
}

/** Tag of an image reference: "latest" when neither tag nor digest is given (parsers.ParseImageName). */
export function imageTag(image: string): string {
  const at = image.indexOf("@");
  const name = at >= 0 ? image.slice(0, at) : image;
  const slash = name.lastIndexOf("/");
  const colon = name.lastIndexOf(":");
  const tag = colon > slash ? name.slice(colon + 1) : "";
  if (!tag && at < 0) return "latest";
  return tag;
}

/** Always for `:latest` or untagged images, IfNotPresent otherwise. */
export function defaultPullPolicy(image: unknown): "Always" | "IfNotPresent" {
  if (typeof image !== "string" || image === "" || /[A-Z]/.test(image.split("@")[0]!.split(":")[0]!)) return "IfNotPresent";
  return imageTag(image) === "latest" ? "Always" : "IfNotPresent";
}

export function defaultHTTPGet(h: unknown) {
  if (!isObj(h)) return;
  if (unset(h.path)) h.path = "/";
  if (unset(h.scheme)) h.scheme = "HTTP";
}

export function defaultProbe(p: unknown) {
  if (!isObj(p)) return;
  if (unset(p.timeoutSeconds) || p.timeoutSeconds === 0) p.timeoutSeconds = 1;
  if (unset(p.periodSeconds) || p.periodSeconds === 0) p.periodSeconds = 10;
  if (unset(p.successThreshold) || p.successThreshold === 0) p.successThreshold = 1;
  if (unset(p.failureThreshold) || p.failureThreshold === 0) p.failureThreshold = 3;
  defaultHTTPGet(p.httpGet);
}

function defaultLifecycle(l: unknown) {
  if (!isObj(l)) return;
  for (const h of [l.postStart, l.preStop]) if (isObj(h)) defaultHTTPGet(h.httpGet);
}

function defaultFieldRef(ref: unknown) {
  if (isObj(ref) && unset(ref.apiVersion)) ref.apiVersion = "v1";
}

export function defaultContainer(c: Obj, hostNetwork: boolean) {
  if (unset(c.imagePullPolicy)) c.imagePullPolicy = defaultPullPolicy(c.image);
  if (unset(c.terminationMessagePath)) c.terminationMessagePath = "/dev/termination-log";
  if (unset(c.terminationMessagePolicy)) c.terminationMessagePolicy = "File";
  if (!isObj(c.resources)) c.resources = {};
  canonicalizeResourceList(c.resources.limits);
  canonicalizeResourceList(c.resources.requests);
  for (const p of asArray(c.ports)) {
    if (!isObj(p)) continue;
    if (unset(p.protocol)) p.protocol = "TCP";
    if (hostNetwork && (unset(p.hostPort) || p.hostPort === 0)) p.hostPort = p.containerPort;
  }
  for (const e of asArray(c.env)) if (isObj(e) && isObj(e.valueFrom)) defaultFieldRef(e.valueFrom.fieldRef);
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  defaultLifecycle(c.lifecycle);
}

const VOLUME_SOURCES = [
  "hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "secret", "nfs", "iscsi", "glusterfs",
  "persistentVolumeClaim", "rbd", "flexVolume", "cinder", "cephfs", "flocker", "downwardAPI", "fc", "azureFile", "configMap",
  "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "projected", "portworxVolume", "scaleIO", "storageos",
  "csi", "ephemeral", "image",
];
export const VOLUME_SOURCE_NAMES: readonly string[] = VOLUME_SOURCES;

function defaultDownwardItems(items: unknown) {
  for (const it of asArray(items)) if (isObj(it)) defaultFieldRef(it.fieldRef);
}

export function defaultVolume(v: Obj) {
  if (!VOLUME_SOURCES.some((s) => v[s] !== undefined && v[s] !== null)) v.emptyDir = {};
  if (isObj(v.secret) && unset(v.secret.defaultMode)) v.secret.defaultMode = DEFAULT_FILE_MODE;
  if (isObj(v.configMap) && unset(v.configMap.defaultMode)) v.configMap.defaultMode = DEFAULT_FILE_MODE;
  if (isObj(v.downwardAPI)) {
    if (unset(v.downwardAPI.defaultMode)) v.downwardAPI.defaultMode = DEFAULT_FILE_MODE;
    defaultDownwardItems(v.downwardAPI.items);
  }
  if (isObj(v.projected)) {
    if (unset(v.projected.defaultMode)) v.projected.defaultMode = DEFAULT_FILE_MODE;
    for (const s of asArray(v.projected.sources)) {
      if (!isObj(s)) continue;
      if (isObj(s.serviceAccountToken) && unset(s.serviceAccountToken.expirationSeconds)) s.serviceAccountToken.expirationSeconds = 3600;
      if (isObj(s.downwardAPI)) defaultDownwardItems(s.downwardAPI.items);
    }
  }
  if (isObj(v.hostPath) && v.hostPath.type === undefined) v.hostPath.type = "";
  if (isObj(v.emptyDir) && v.emptyDir.sizeLimit !== undefined) {
    const holder = { q: v.emptyDir.sizeLimit };
    canonicalizeResourceList(holder, false);
    v.emptyDir.sizeLimit = holder.q;
  }
  if (isObj(v.ephemeral) && isObj(v.ephemeral.volumeClaimTemplate) && isObj(v.ephemeral.volumeClaimTemplate.spec)) {
    const spec = v.ephemeral.volumeClaimTemplate.spec;
    if (unset(spec.volumeMode)) spec.volumeMode = "Filesystem";
  }
}

/** SetDefaults_PodSpec and the nested defaulters (applies to pods and pod templates). */
export function defaultPodSpec(spec: Obj) {
  if (unset(spec.dnsPolicy)) spec.dnsPolicy = "ClusterFirst";
  if (unset(spec.restartPolicy)) spec.restartPolicy = "Always";
  if (!isObj(spec.securityContext)) spec.securityContext = {};
  if (spec.terminationGracePeriodSeconds === undefined || spec.terminationGracePeriodSeconds === null) spec.terminationGracePeriodSeconds = 30;
  if (unset(spec.schedulerName)) spec.schedulerName = "default-scheduler";
  // v1 conversion keeps the deprecated serviceAccount field mirrored.
  if (unset(spec.serviceAccountName) && !unset(spec.serviceAccount)) spec.serviceAccountName = spec.serviceAccount;
  if (!unset(spec.serviceAccountName)) spec.serviceAccount = spec.serviceAccountName;
  const hostNetwork = spec.hostNetwork === true;
  for (const list of [spec.initContainers, spec.containers, spec.ephemeralContainers]) {
    for (const c of asArray(list)) if (isObj(c)) defaultContainer(c, hostNetwork);
  }
  for (const v of asArray(spec.volumes)) if (isObj(v)) defaultVolume(v);
  canonicalizeResourceList(spec.overhead);
}

/** A PodTemplateSpec inside a workload: `{metadata, spec}`. */
export function defaultPodTemplate(template: unknown) {
  if (!isObj(template)) return;
  if (isObj(template.spec)) defaultPodSpec(template.spec);
}

/** SetDefaults_Pod: requests default to limits; enableServiceLinks true. Then the PodSpec defaults. */
export function defaultPod(pod: Obj) {
  const spec = isObj(pod.spec) ? pod.spec : (pod.spec = {});
  for (const list of [spec.containers, spec.initContainers]) {
    for (const c of asArray(list)) {
      if (!isObj(c) || !isObj(c.resources) || !isObj(c.resources.limits)) continue;
      const req = isObj(c.resources.requests) ? c.resources.requests : (c.resources.requests = {});
      for (const [k, v] of Object.entries(c.resources.limits)) if (!(k in req)) req[k] = v;
    }
  }
  if (spec.enableServiceLinks === undefined || spec.enableServiceLinks === null) spec.enableServiceLinks = true;
  defaultPodSpec(spec);
}
