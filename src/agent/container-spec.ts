/**
 * @module agent/container-spec
 * Kubernetes pod and container specs → the engine's SandboxSpec and ContainerSpec:
 * hostname, published hostPorts, DNS and host aliases for the sandbox; command and
 * args with $(VAR) expansion, the merged pod/container securityContext, limits and
 * the image pull policy for containers. Pure functions.
 */
import type { KObj } from "../client/client.ts";
import { expandVars } from "./env.ts";
import { engineResources } from "./resources.ts";
import type { ContainerSpec, EnvVar, Mount, PortMapping, Protocol, PullPolicy, SandboxSpec, SecurityContext } from "./runtime/types.ts";

export class ContainerConfigError extends Error {
  override name = "ContainerConfigError";
}

/** Pod hostname: spec.hostname, else the pod name, cut to 63 characters like the kubelet. */
export function podHostname(pod: KObj): string {
  const h: string = pod.spec?.hostname || pod.metadata.name;
  return h.slice(0, 63).replace(/[-.]+$/, "");
}

export function sandboxSpec(pod: KObj, name: string, labels: Record<string, string>): SandboxSpec {
  const spec = pod.spec ?? {};
  const ports: PortMapping[] = [];
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])] as KObj[]) {
    for (const p of (c.ports ?? []) as KObj[]) {
      if (!p.hostPort) continue;
      ports.push({ containerPort: p.containerPort, hostPort: p.hostPort, hostIP: p.hostIP || undefined, protocol: (p.protocol ?? "TCP") as Protocol });
    }
  }
  const dns = spec.dnsConfig
    ? { servers: spec.dnsConfig.nameservers ?? [], searches: spec.dnsConfig.searches ?? [], options: ((spec.dnsConfig.options ?? []) as KObj[]).map((o) => (o.value !== undefined ? `${o.name}:${o.value}` : o.name)) }
    : undefined;
  const out: SandboxSpec = {
    name,
    labels,
    hostNetwork: spec.hostNetwork === true,
    shareProcessNamespace: spec.shareProcessNamespace === true,
  };
  if (!out.hostNetwork) out.hostname = podHostname(pod);
  if (ports.length) out.ports = ports;
  if (dns && (dns.servers.length || dns.searches.length || dns.options.length)) out.dns = dns;
  if ((spec.hostAliases ?? []).length) out.hostAliases = (spec.hostAliases as KObj[]).map((h) => ({ ip: h.ip, hostnames: h.hostnames ?? [] }));
  return out;
}

/** The effective pull policy (the API defaults it; "latest" or untagged means Always). */
export function pullPolicy(container: KObj): PullPolicy {
  const p = container.imagePullPolicy;
  if (p === "Always" || p === "IfNotPresent" || p === "Never") return p;
  const image: string = container.image ?? "";
  const last = image.split("/").pop() ?? "";
  return image.includes("@") ? "IfNotPresent" : !last.includes(":") || last.endsWith(":latest") ? "Always" : "IfNotPresent";
}

/** Pod-level securityContext merged under the container's, as the engine takes it. */
export function securityContext(pod: KObj, container: KObj): SecurityContext {
  const ps: KObj = pod.spec?.securityContext ?? {};
  const cs: KObj = container.securityContext ?? {};
  const out: SecurityContext = {};
  const user = cs.runAsUser ?? ps.runAsUser;
  const group = cs.runAsGroup ?? ps.runAsGroup;
  if (user !== undefined) out.runAsUser = user;
  if (group !== undefined) out.runAsGroup = group;
  const groups = [...(ps.supplementalGroups ?? []), ...(ps.fsGroup !== undefined ? [ps.fsGroup] : [])];
  if (groups.length) out.supplementalGroups = [...new Set<number>(groups)];
  if (cs.privileged === true) out.privileged = true;
  if (cs.readOnlyRootFilesystem === true) out.readOnlyRootFilesystem = true;
  if (cs.allowPrivilegeEscalation === false) out.allowPrivilegeEscalation = false;
  if (cs.capabilities && (cs.capabilities.add?.length || cs.capabilities.drop?.length)) {
    out.capabilities = { add: cs.capabilities.add ?? [], drop: cs.capabilities.drop ?? [] };
  }
  if ((cs.runAsNonRoot ?? ps.runAsNonRoot) === true && user === 0) {
    throw new ContainerConfigError("container's runAsUser breaks non-root policy");
  }
  return out;
}

export interface ContainerSpecInput {
  pod: KObj;
  container: KObj;
  name: string;
  sandboxId: string;
  labels: Record<string, string>;
  env: EnvVar[];
  mounts: Mount[];
}

export function engineContainerSpec(i: ContainerSpecInput): ContainerSpec {
  const vars = new Map(i.env.map((e) => [e.name, e.value]));
  const c = i.container;
  const spec: ContainerSpec = {
    name: i.name,
    sandboxId: i.sandboxId,
    image: c.image,
    labels: i.labels,
    env: i.env,
    mounts: i.mounts,
    securityContext: securityContext(i.pod, c),
    resources: engineResources(c),
  };
  if (c.command?.length) spec.command = (c.command as string[]).map((s) => expandVars(s, vars));
  if (c.args?.length) spec.args = (c.args as string[]).map((s) => expandVars(s, vars));
  if (c.workingDir) spec.workingDir = c.workingDir;
  if (c.stdin) spec.stdin = true;
  if (c.tty) spec.tty = true;
  return spec;
}
