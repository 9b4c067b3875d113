/**
 * @module api/resources/core/pods/validation
 * ValidatePodSpec for the mistakes people make (upstream field paths and wording):
 * containers (names, images, ports, env, resources, probes, mounts), volumes, tolerations
 * and pod-level enums. Shared by Pods and every pod template.
 */
import { field } from "../../../errors.ts";
import { isDNS1123Label, isDNS1123Subdomain, validateLabels, validateAnnotations } from "../../../validation/meta.ts";
import type { Obj } from "../../../registry/types.ts";
import {
  asArray, cause, enumValue, idx, isInt, isObj, nonNegative, portNameErrors, portNumErrors, qualifiedName,
  validatePortNumOrName, type Causes,
} from "../../common/causes.ts";
import { validateContainerResources, parseResourceList } from "../../common/resource-list.ts";
import { VOLUME_SOURCE_NAMES } from "./defaults.ts";
import { Quantity } from "../../quantity.ts";

export interface PodSpecOptions {
  /** Validating a pod template (no nodeName checks that only apply to pods). */
  template?: boolean;
}

const FILE_MODE_MSG = "must be a number between 0 and 0777 (octal), both inclusive";
const MAX_INT32 = 2147483647;

function dns1123Label(v: unknown, path: string): Causes {
  if (typeof v !== "string") return [field.invalid(path, v, "must be a string")];
  return isDNS1123Label(v).map((m) => field.invalid(path, v, m));
}

function fileMode(v: unknown, path: string): Causes {
  if (v === undefined || v === null) return [];
  return isInt(v) && v >= 0 && v <= 0o777 ? [] : [field.invalid(path, v, FILE_MODE_MSG)];
}

function relativePath(v: unknown, path: string): Causes {
  if (typeof v !== "string" || v === "") return [field.required(path, "")];
  const out: Causes = [];
  if (v.startsWith("/")) out.push(field.invalid(path, v, "must be a relative path"));
  if (v.split("/").includes("..")) out.push(field.invalid(path, v, "must not contain '..'"));
  return out;
}

function keyToPathItems(items: unknown, path: string): Causes {
  const out: Causes = [];
  asArray(items).forEach((it, i) => {
    const p = idx(path, i);
    if (!it?.key) out.push(field.required(`${p}.key`, ""));
    out.push(...relativePath(it?.path, `${p}.path`));
    out.push(...fileMode(it?.mode, `${p}.mode`));
  });
  return out;
}

// ---- volumes ----------------------------------------------------------------------------

function validateVolumeSource(v: Obj, p: string): Causes {
  const out: Causes = [];
  const present = VOLUME_SOURCE_NAMES.filter((s) => v[s] !== undefined && v[s] !== null);
  if (present.length === 0) return [field.required(p, "must specify a volume type")];
  for (const extra of present.slice(1)) out.push(field.forbidden(`${p}.${extra}`, "may not specify more than 1 volume type"));
  const src = present[0]!;
  const s = isObj(v[src]) ? v[src] : {};
  const sp = `${p}.${src}`;
  switch (src) {
    case "hostPath":
      if (!s.path) out.push(field.required(`${sp}.path`, ""));
      out.push(...enumValue(s.type, `${sp}.type`, ["", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"], false));
      break;
    case "emptyDir":
      if (s.medium !== undefined && s.medium !== "" && s.medium !== "Memory" && !/^HugePages(-.+)?$/.test(String(s.medium))) {
        out.push(field.notSupported(`${sp}.medium`, s.medium, ["", "Memory", "HugePages"]));
      }
      if (s.sizeLimit !== undefined) {
        const q = Quantity.tryParse(s.sizeLimit);
        if (!q) parseResourceList({ sizeLimit: s.sizeLimit }, sp, out);
        else if (q.sign() < 0) out.push(field.invalid(`${sp}.sizeLimit`, q.toString(), "must be greater than or equal to 0"));
      }
      break;
    case "secret":
      if (!s.secretName) out.push(field.required(`${sp}.secretName`, ""));
      out.push(...fileMode(s.defaultMode, `${sp}.defaultMode`), ...keyToPathItems(s.items, `${sp}.items`));
      break;
    case "configMap":
      if (!s.name) out.push(field.required(`${sp}.name`, ""));
      out.push(...fileMode(s.defaultMode, `${sp}.defaultMode`), ...keyToPathItems(s.items, `${sp}.items`));
      break;
    case "persistentVolumeClaim":
      if (!s.claimName) out.push(field.required(`${sp}.claimName`, ""));
      break;
    case "nfs":
      if (!s.server) out.push(field.required(`${sp}.server`, ""));
      if (!s.path) out.push(field.required(`${sp}.path`, ""));
      else if (!String(s.path).startsWith("/")) out.push(field.invalid(`${sp}.path`, s.path, "must be an absolute path"));
      break;
    case "downwardAPI":
      out.push(...fileMode(s.defaultMode, `${sp}.defaultMode`));
      asArray(s.items).forEach((it, i) => out.push(...relativePath(it?.path, `${idx(`${sp}.items`, i)}.path`)));
      break;
    case "projected":
      out.push(...fileMode(s.defaultMode, `${sp}.defaultMode`));
      asArray(s.sources).forEach((src2, i) => {
        const pp = idx(`${sp}.sources`, i);
        const kinds = ["secret", "configMap", "downwardAPI", "serviceAccountToken", "clusterTrustBundle"].filter((k) => src2?.[k] !== undefined && src2?.[k] !== null);
        if (kinds.length === 0) out.push(field.required(pp, "must specify exactly 1 of secret, configMap, downwardAPI, serviceAccountToken, clusterTrustBundle"));
        for (const extra of kinds.slice(1)) out.push(field.forbidden(`${pp}.${extra}`, "may not specify more than 1 volume type per source"));
        if (isObj(src2?.serviceAccountToken)) {
          const t = src2.serviceAccountToken;
          out.push(...relativePath(t.path, `${pp}.serviceAccountToken.path`));
          if (isInt(t.expirationSeconds) && t.expirationSeconds < 600) out.push(field.invalid(`${pp}.serviceAccountToken.expirationSeconds`, t.expirationSeconds, "may not specify a duration less than 10 minutes"));
        }
        if (isObj(src2?.secret)) out.push(...keyToPathItems(src2.secret.items, `${pp}.secret.items`));
        if (isObj(src2?.configMap)) out.push(...keyToPathItems(src2.configMap.items, `${pp}.configMap.items`));
      });
      break;
    case "csi":
      if (!s.driver) out.push(field.required(`${sp}.driver`, ""));
      break;
    case "image":
      if (!s.reference) out.push(field.required(`${sp}.reference`, ""));
      break;
  }
  return out;
}

export function validateVolumes(volumes: unknown, path: string): { causes: Causes; names: Set<string> } {
  const out: Causes = [];
  const names = new Set<string>();
  asArray(volumes).forEach((v, i) => {
    const p = idx(path, i);
    if (!isObj(v)) return out.push(field.invalid(p, v, "must be an object"));
    const name = v.name;
    if (!name) out.push(field.required(`${p}.name`, ""));
    else {
      out.push(...dns1123Label(name, `${p}.name`));
      if (names.has(name)) out.push(field.duplicate(`${p}.name`, name));
      names.add(name);
    }
    out.push(...validateVolumeSource(v, p));
  });
  return { causes: out, names };
}

// ---- containers -------------------------------------------------------------------------

function validateProbe(probe: unknown, path: string, mustBeOne: boolean): Causes {
  if (probe === undefined || probe === null) return [];
  if (!isObj(probe)) return [field.invalid(path, probe, "must be an object")];
  const out = validateHandler(probe, path, ["exec", "httpGet", "tcpSocket", "grpc"]);
  for (const f of ["initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold", "terminationGracePeriodSeconds"]) {
    out.push(...nonNegative(probe[f], `${path}.${f}`));
  }
  if (mustBeOne && probe.successThreshold !== undefined && probe.successThreshold !== 1) out.push(field.invalid(`${path}.successThreshold`, probe.successThreshold, "must be 1"));
  return out;
}

function validateHandler(h: Obj, path: string, kinds: string[]): Causes {
  const out: Causes = [];
  const present = kinds.filter((k) => h[k] !== undefined && h[k] !== null);
  if (present.length === 0) return [field.required(path, "must specify a handler type")];
  for (const extra of present.slice(1)) out.push(field.forbidden(`${path}.${extra}`, "may not specify more than 1 handler type"));
  const k = present[0]!;
  const s = isObj(h[k]) ? h[k] : {};
  if (k === "exec" && asArray(s.command).length === 0) out.push(field.required(`${path}.exec.command`, ""));
  if (k === "httpGet") {
    out.push(...validatePortNumOrName(s.port, `${path}.httpGet.port`));
    out.push(...enumValue(s.scheme, `${path}.httpGet.scheme`, ["HTTP", "HTTPS"], false));
  }
  if (k === "tcpSocket") out.push(...validatePortNumOrName(s.port, `${path}.tcpSocket.port`));
  if (k === "grpc") out.push(...portNumErrors(s.port).map((m) => field.invalid(`${path}.grpc.port`, s.port, m)));
  if (k === "sleep" && !(isInt(s.seconds) && s.seconds > 0)) out.push(field.invalid(`${path}.sleep.seconds`, s.seconds, "must be greater than 0"));
  return out;
}

/** Relaxed (1.32 default) environment variable names: printable ASCII except '='. */
function envNameErrors(name: string): string[] {
  return /^[\x20-\x3c\x3e-\x7e]+$/.test(name) ? [] : ["a valid environment variable name must consist only of printable ASCII characters other than '='"];
}

function validateEnv(env: unknown, path: string): Causes {
  const out: Causes = [];
  asArray(env).forEach((e, i) => {
    const p = idx(path, i);
    if (!isObj(e)) return out.push(field.invalid(p, e, "must be an object"));
    if (!e.name) out.push(field.required(`${p}.name`, ""));
    else for (const m of envNameErrors(String(e.name))) out.push(field.invalid(`${p}.name`, e.name, m));
    if (isObj(e.valueFrom)) {
      const kinds = ["fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef"].filter((k) => e.valueFrom[k] !== undefined && e.valueFrom[k] !== null);
      if (kinds.length === 0) out.push(field.invalid(`${p}.valueFrom`, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"));
      else if (kinds.length > 1) out.push(field.invalid(`${p}.valueFrom`, "", "may not have more than one field specified at a time"));
      if (e.value !== undefined && e.value !== "" && kinds.length) out.push(field.invalid(`${p}.valueFrom`, "", "may not be specified when `value` is not empty"));
      for (const k of ["configMapKeyRef", "secretKeyRef"]) {
        const r = e.valueFrom[k];
        if (isObj(r) && !r.key) out.push(field.required(`${p}.valueFrom.${k}.key`, ""));
      }
      const fr = e.valueFrom.fieldRef;
      if (isObj(fr) && !fr.fieldPath) out.push(field.required(`${p}.valueFrom.fieldRef.fieldPath`, ""));
      const rr = e.valueFrom.resourceFieldRef;
      if (isObj(rr) && !rr.resource) out.push(field.required(`${p}.valueFrom.resourceFieldRef.resource`, ""));
    }
  });
  return out;
}

function validatePorts(ports: unknown, path: string, names: Set<string>): Causes {
  const out: Causes = [];
  asArray(ports).forEach((port, i) => {
    const p = idx(path, i);
    if (!isObj(port)) return out.push(field.invalid(p, port, "must be an object"));
    if (port.name !== undefined && port.name !== "") {
      for (const m of portNameErrors(String(port.name))) out.push(field.invalid(`${p}.name`, port.name, m));
      if (names.has(port.name)) out.push(field.duplicate(`${p}.name`, port.name));
      names.add(port.name);
    }
    if (port.containerPort === undefined || port.containerPort === null || port.containerPort === 0) out.push(field.required(`${p}.containerPort`, ""));
    else for (const m of portNumErrors(port.containerPort)) out.push(field.invalid(`${p}.containerPort`, port.containerPort, m));
    if (port.hostPort !== undefined && port.hostPort !== null && port.hostPort !== 0) {
      for (const m of portNumErrors(port.hostPort)) out.push(field.invalid(`${p}.hostPort`, port.hostPort, m));
    }
    out.push(...enumValue(port.protocol, `${p}.protocol`, ["SCTP", "TCP", "UDP"]));
  });
  return out;
}

function validateMounts(mounts: unknown, path: string, volumes: Set<string>): Causes {
  const out: Causes = [];
  const seen = new Set<string>();
  asArray(mounts).forEach((m, i) => {
    const p = idx(path, i);
    if (!isObj(m)) return out.push(field.invalid(p, m, "must be an object"));
    if (!m.name) out.push(field.required(`${p}.name`, ""));
    else if (!volumes.has(m.name)) out.push(cause.notFound(`${p}.name`, m.name));
    if (!m.mountPath) out.push(field.required(`${p}.mountPath`, ""));
    else {
      if (seen.has(m.mountPath)) out.push(field.invalid(`${p}.mountPath`, m.mountPath, "must be unique"));
      seen.add(m.mountPath);
    }
    if (m.subPath) {
      if (String(m.subPath).startsWith("/")) out.push(field.invalid(`${p}.subPath`, m.subPath, "must be a relative path"));
      if (String(m.subPath).split("/").includes("..")) out.push(field.invalid(`${p}.subPath`, m.subPath, "must not contain '..'"));
    }
    out.push(...enumValue(m.mountPropagation, `${p}.mountPropagation`, ["Bidirectional", "HostToContainer", "None"], false));
  });
  return out;
}

type ContainerKind = "containers" | "initContainers" | "ephemeralContainers";

function validateContainer(c: Obj, p: string, kind: ContainerKind, volumes: Set<string>, allNames: Set<string>): Causes {
  const out: Causes = [];
  if (!c.name) out.push(field.required(`${p}.name`, ""));
  else {
    out.push(...dns1123Label(c.name, `${p}.name`));
    if (allNames.has(c.name)) out.push(field.duplicate(`${p}.name`, c.name));
    allNames.add(c.name);
  }
  if (c.image === undefined || c.image === null || c.image === "") out.push(field.required(`${p}.image`, ""));
  else if (typeof c.image !== "string") out.push(field.invalid(`${p}.image`, c.image, "must be a string"));
  else if (c.image.trim() !== c.image) out.push(field.invalid(`${p}.image`, c.image, "must not have leading or trailing whitespace"));
  out.push(...enumValue(c.imagePullPolicy, `${p}.imagePullPolicy`, ["Always", "IfNotPresent", "Never"]));
  if (c.terminationMessagePolicy === undefined || c.terminationMessagePolicy === "") out.push(field.required(`${p}.terminationMessagePolicy`, "must be 'File' or 'FallbackToLogsOnError'"));
  else if (c.terminationMessagePolicy !== "File" && c.terminationMessagePolicy !== "FallbackToLogsOnError") {
    out.push(field.invalid(`${p}.terminationMessagePolicy`, c.terminationMessagePolicy, "must be 'File' or 'FallbackToLogsOnError'"));
  }
  if (c.command !== undefined && !Array.isArray(c.command)) out.push(field.invalid(`${p}.command`, c.command, "must be a list of strings"));
  if (c.args !== undefined && !Array.isArray(c.args)) out.push(field.invalid(`${p}.args`, c.args, "must be a list of strings"));
  out.push(...validatePorts(c.ports, `${p}.ports`, new Set()));
  out.push(...validateEnv(c.env, `${p}.env`));
  asArray(c.envFrom).forEach((ef, i) => {
    const ep = idx(`${p}.envFrom`, i);
    const n = ["configMapRef", "secretRef"].filter((k) => ef?.[k] !== undefined && ef?.[k] !== null).length;
    if (n !== 1) out.push(field.invalid(ep, "", "must specify one of: `configMapRef` or `secretRef`"));
  });
  out.push(...validateContainerResources(c.resources, `${p}.resources`).causes);
  out.push(...validateMounts(c.volumeMounts, `${p}.volumeMounts`, volumes));
  const sidecar = kind === "initContainers" && c.restartPolicy === "Always";
  if (c.restartPolicy !== undefined && c.restartPolicy !== null) {
    if (kind !== "initContainers") out.push(field.forbidden(`${p}.restartPolicy`, "may not be set for non-init containers"));
    else if (c.restartPolicy !== "Always") out.push(field.notSupported(`${p}.restartPolicy`, c.restartPolicy, ["Always"]));
  }
  const probes: [string, boolean][] = [["livenessProbe", true], ["readinessProbe", false], ["startupProbe", true]];
  for (const [name, one] of probes) {
    if (c[name] === undefined || c[name] === null) continue;
    if (kind === "ephemeralContainers") out.push(field.forbidden(`${p}.${name}`, "cannot be set for an Ephemeral Container"));
    else if (kind === "initContainers" && !sidecar) out.push(field.forbidden(`${p}.${name}`, "may not be set for init containers without restartPolicy=Always"));
    else if (kind === "initContainers" && name === "readinessProbe") out.push(field.forbidden(`${p}.${name}`, "may not be set for init containers"));
    else out.push(...validateProbe(c[name], `${p}.${name}`, one));
  }
  if (isObj(c.lifecycle)) {
    for (const h of ["postStart", "preStop"]) {
      if (isObj(c.lifecycle[h])) out.push(...validateHandler(c.lifecycle[h], `${p}.lifecycle.${h}`, ["exec", "httpGet", "tcpSocket", "sleep"]));
    }
  }
  const sc = c.securityContext;
  if (isObj(sc)) {
    if (sc.privileged === true && sc.allowPrivilegeEscalation === false) {
      out.push(field.invalid(`${p}.securityContext`, sc, "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"));
    }
    for (const f of ["runAsUser", "runAsGroup"]) if (sc[f] !== undefined) out.push(...nonNegative(sc[f], `${p}.securityContext.${f}`));
  }
  return out;
}

// ---- tolerations ------------------------------------------------------------------------

export const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

export function validateTolerations(tolerations: unknown, path: string): Causes {
  const out: Causes = [];
  asArray(tolerations).forEach((t, i) => {
    const p = idx(path, i);
    if (!isObj(t)) return out.push(field.invalid(p, t, "must be an object"));
    const k = t.key ?? "";
    if (k) out.push(...qualifiedName(k, `${p}.key`));
    const op = t.operator ?? "";
    if (!k && op !== "Exists") out.push(field.invalid(`${p}.operator`, op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && t.effect !== "NoExecute") {
      out.push(field.invalid(`${p}.effect`, t.effect ?? "", "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    if (op === "" || op === "Equal") {
      const v = t.value ?? "";
      if (typeof v !== "string" || !/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(v) || v.length > 63) {
        out.push(field.invalid(`${p}.operator`, v, "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"));
      }
    } else if (op === "Exists") {
      if (t.value) out.push(field.invalid(`${p}.operator`, t, "value must be empty when `operator` is 'Exists'"));
    } else out.push(field.notSupported(`${p}.operator`, op, ["Equal", "Exists"]));
    if (t.effect) out.push(...enumValue(t.effect, `${p}.effect`, TAINT_EFFECTS, false));
  });
  return out;
}

// ---- pod spec ---------------------------------------------------------------------------

export function validatePodSpec(spec: unknown, path: string, _opts: PodSpecOptions = {}): Causes {
  if (!isObj(spec)) return [field.required(path, "")];
  const out: Causes = [];
  const vols = validateVolumes(spec.volumes, `${path}.volumes`);
  out.push(...vols.causes);
  const allNames = new Set<string>();
  asArray(spec.initContainers).forEach((c, i) => {
    const p = idx(`${path}.initContainers`, i);
    if (!isObj(c)) out.push(field.invalid(p, c, "must be an object"));
    else out.push(...validateContainer(c, p, "initContainers", vols.names, allNames));
  });
  const containers = asArray(spec.containers);
  if (containers.length === 0) out.push(field.required(`${path}.containers`, ""));
  containers.forEach((c, i) => {
    const p = idx(`${path}.containers`, i);
    if (!isObj(c)) out.push(field.invalid(p, c, "must be an object"));
    else out.push(...validateContainer(c, p, "containers", vols.names, allNames));
  });
  asArray(spec.ephemeralContainers).forEach((c, i) => {
    const p = idx(`${path}.ephemeralContainers`, i);
    if (!isObj(c)) out.push(field.invalid(p, c, "must be an object"));
    else out.push(...validateContainer(c, p, "ephemeralContainers", vols.names, allNames));
  });
  out.push(...enumValue(spec.restartPolicy, `${path}.restartPolicy`, ["Always", "OnFailure", "Never"]));
  out.push(...enumValue(spec.dnsPolicy, `${path}.dnsPolicy`, ["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"]));
  if (spec.dnsPolicy === "None" && !isObj(spec.dnsConfig)) out.push(field.required(`${path}.dnsConfig`, "must provide `dnsConfig` when `dnsPolicy` is None"));
  if (isObj(spec.dnsConfig)) {
    const ns = asArray<unknown>(spec.dnsConfig.nameservers);
    if (ns.length > 3) out.push(field.invalid(`${path}.dnsConfig.nameservers`, ns, "must not have more than 3 nameservers"));
    if (spec.dnsPolicy === "None" && ns.length === 0) out.push(field.required(`${path}.dnsConfig.nameservers`, "must provide at least one DNS nameserver when `dnsPolicy` is None"));
  }
  out.push(...validateLabels(spec.nodeSelector, `${path}.nodeSelector`));
  for (const f of ["serviceAccountName", "nodeName", "priorityClassName"]) {
    const v = spec[f];
    if (v !== undefined && v !== null && v !== "") {
      if (typeof v !== "string") out.push(field.invalid(`${path}.${f}`, v, "must be a string"));
      else for (const m of isDNS1123Subdomain(v)) out.push(field.invalid(`${path}.${f}`, v, m));
    }
  }
  for (const f of ["hostname", "subdomain"]) if (spec[f]) out.push(...dns1123Label(spec[f], `${path}.${f}`));
  const ads = spec.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null && !(isInt(ads) && ads >= 1 && ads <= MAX_INT32)) {
    out.push(field.invalid(`${path}.activeDeadlineSeconds`, ads, `must be between 1 and ${MAX_INT32}, inclusive`));
  }
  if (spec.terminationGracePeriodSeconds !== undefined && spec.terminationGracePeriodSeconds !== null && !isInt(spec.terminationGracePeriodSeconds)) {
    out.push(field.invalid(`${path}.terminationGracePeriodSeconds`, spec.terminationGracePeriodSeconds, "must be an integer"));
  }
  out.push(...validateTolerations(spec.tolerations, `${path}.tolerations`));
  asArray(spec.imagePullSecrets).forEach((s, i) => {
    if (!s?.name) out.push(field.required(`${idx(`${path}.imagePullSecrets`, i)}.name`, ""));
  });
  asArray(spec.readinessGates).forEach((g, i) => out.push(...qualifiedName(g?.conditionType ?? "", `${idx(`${path}.readinessGates`, i)}.conditionType`)));
  asArray(spec.schedulingGates).forEach((g, i) => {
    const p = `${idx(`${path}.schedulingGates`, i)}.name`;
    out.push(...qualifiedName(g?.name ?? "", p));
  });
  if (spec.hostNetwork === true) {
    containers.forEach((c, i) => {
      asArray(c?.ports).forEach((port, j) => {
        if (port?.hostPort !== undefined && port.hostPort !== port.containerPort) {
          out.push(field.invalid(`${idx(`${idx(`${path}.containers`, i)}.ports`, j)}.containerPort`, port.containerPort, "must match `hostPort` when `hostNetwork` is true"));
        }
      });
    });
  }
  out.push(...parseOverhead(spec.overhead, `${path}.overhead`));
  return out;
}

function parseOverhead(overhead: unknown, path: string): Causes {
  const out: Causes = [];
  parseResourceList(overhead, path, out);
  return out;
}

/** ValidatePodTemplateSpec: labels/annotations of the template plus its spec. */
export function validatePodTemplate(template: unknown, path: string): Causes {
  if (!isObj(template)) return [field.required(path, "")];
  const meta = isObj(template.metadata) ? template.metadata : {};
  return [
    ...validateLabels(meta.labels, `${path}.metadata.labels`),
    ...validateAnnotations(meta.annotations, `${path}.metadata.annotations`),
    ...validatePodSpec(template.spec, `${path}.spec`, { template: true }),
  ];
}

/** ValidatePodTemplateSpecForReplicaSet-style checks: restartPolicy Always, no activeDeadlineSeconds. */
export function validateAlwaysRestartTemplate(template: unknown, path: string, kind: string): Causes {
  const spec = isObj(template) && isObj(template.spec) ? template.spec : {};
  const out: Causes = [];
  if (spec.restartPolicy !== undefined && spec.restartPolicy !== "Always") out.push(field.notSupported(`${path}.spec.restartPolicy`, spec.restartPolicy, ["Always"]));
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null) {
    out.push(field.forbidden(`${path}.spec.activeDeadlineSeconds`, `activeDeadlineSeconds in ${kind} is not Supported`));
  }
  return out;
}


