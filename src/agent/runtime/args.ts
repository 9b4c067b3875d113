/**
 * @module agent/runtime/args
 * Turns SandboxSpec/ContainerSpec into the `create` flags that podman and
 * docker share (their CLIs agree on these), after validating the spec:
 * a spec that cannot be expressed fails with InvalidSpecError before anything
 * is created. Engine-specific flags (how to join a sandbox) are added by
 * podman.ts and docker.ts.
 */
import { normalizeImageRef } from "./image-ref.ts";
import { type ContainerSpec, InvalidSpecError, LABELS, type PortMapping, type SandboxSpec } from "./types.ts";

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{1,252}$/;
const ENV_NAME = /^[^=\0]+$/;
const CAP = /^(CAP_)?[A-Z_]+$/;

export function checkName(name: string, what: string): void {
  if (!NAME.test(name)) throw new InvalidSpecError(`${what} name "${name}" must match ${NAME}`);
}

function checkLabels(labels: Record<string, string>): void {
  for (const [k, v] of Object.entries(labels)) {
    if (!k || k.includes("=") || /[\0\n]/.test(k) || /[\0\n]/.test(v)) {
      throw new InvalidSpecError(`invalid label ${JSON.stringify(k)}=${JSON.stringify(v)}`);
    }
  }
  if (LABELS.kind in labels || LABELS.sandboxId in labels) {
    throw new InvalidSpecError(`labels ${LABELS.kind} and ${LABELS.sandboxId} are reserved for the runtime`);
  }
}

export function labelArgs(labels: Record<string, string>): string[] {
  return Object.entries(labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]);
}

function isIP(s: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(s) || (s.includes(":") && /^[0-9a-fA-F:.]+$/.test(s));
}

export function portArg(p: PortMapping): string {
  const okPort = (n: number) => Number.isInteger(n) && n >= 1 && n <= 65535;
  if (!okPort(p.containerPort) || !okPort(p.hostPort)) {
    throw new InvalidSpecError(`invalid port mapping ${JSON.stringify(p)}: ports must be 1..65535`);
  }
  if (p.hostIP !== undefined && p.hostIP !== "" && !isIP(p.hostIP)) {
    throw new InvalidSpecError(`invalid hostIP ${JSON.stringify(p.hostIP)}`);
  }
  const proto = (p.protocol ?? "TCP").toLowerCase();
  if (!["tcp", "udp", "sctp"].includes(proto)) throw new InvalidSpecError(`invalid protocol ${p.protocol}`);
  const ip = p.hostIP ? (p.hostIP.includes(":") ? `[${p.hostIP}]:` : `${p.hostIP}:`) : "";
  return `${ip}${p.hostPort}:${p.containerPort}/${proto}`;
}

/** Flags for the sandbox's network identity, shared by `podman pod create` and docker's pause container. */
export function sandboxNetArgs(spec: SandboxSpec): string[] {
  checkName(spec.name, "sandbox");
  checkLabels(spec.labels);
  const a: string[] = [];
  if (spec.hostNetwork) {
    a.push("--network", "host");
  } else {
    if (spec.hostname) {
      if (!/^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,62})$/.test(spec.hostname)) {
        throw new InvalidSpecError(`invalid hostname ${JSON.stringify(spec.hostname)}`);
      }
      a.push("--hostname", spec.hostname);
    }
    for (const p of spec.ports ?? []) a.push("-p", portArg(p));
  }
  for (const s of spec.dns?.servers ?? []) a.push("--dns", s);
  for (const s of spec.dns?.searches ?? []) a.push("--dns-search", s);
  for (const s of spec.dns?.options ?? []) a.push("--dns-option", s);
  for (const h of spec.hostAliases ?? []) {
    if (!isIP(h.ip)) throw new InvalidSpecError(`invalid hostAlias ip ${JSON.stringify(h.ip)}`);
    for (const n of h.hostnames) a.push("--add-host", `${n}:${h.ip}`);
  }
  return a;
}

export interface CreateArgs {
  /** Flags before the image. */
  flags: string[];
  image: string;
  /** Positional args after the image (rest of command, then args). */
  cmd: string[];
}

/**
 * Shared `create` flags. Kubernetes command/args map to the engine as:
 * command[0] → --entrypoint (which also drops the image CMD), command[1..] and
 * args → positional arguments.
 */
export function containerArgs(spec: ContainerSpec, logMaxBytes: number): CreateArgs {
  checkName(spec.name, "container");
  checkLabels(spec.labels);
  if (!spec.sandboxId) throw new InvalidSpecError("sandboxId is required");
  const image = normalizeImageRef(spec.image);
  const f: string[] = ["--name", spec.name, ...labelArgs(spec.labels)];

  for (const e of spec.env ?? []) {
    if (!ENV_NAME.test(e.name) || e.value.includes("\0")) throw new InvalidSpecError(`invalid env var ${e.name}`);
    f.push("--env", `${e.name}=${e.value}`);
  }
  if (spec.workingDir) {
    if (!spec.workingDir.startsWith("/")) throw new InvalidSpecError(`workingDir must be absolute: ${spec.workingDir}`);
    f.push("--workdir", spec.workingDir);
  }
  for (const m of spec.mounts ?? []) {
    for (const p of [m.hostPath, m.containerPath]) {
      if (!p.startsWith("/") || p.includes(":") || p.includes(",") || p.includes("\0")) {
        throw new InvalidSpecError(`mount path ${JSON.stringify(p)} must be absolute without ':' or ','`);
      }
    }
    f.push("--volume", `${m.hostPath}:${m.containerPath}${m.readOnly ? ":ro" : ""}`);
  }

  const sc = spec.securityContext ?? {};
  const id = (n: number | undefined, what: string) => {
    if (n !== undefined && (!Number.isInteger(n) || n < 0 || n > 2 ** 32 - 2)) {
      throw new InvalidSpecError(`${what} must be a non-negative integer`);
    }
  };
  id(sc.runAsUser, "runAsUser");
  id(sc.runAsGroup, "runAsGroup");
  if (sc.runAsUser !== undefined || sc.runAsGroup !== undefined) {
    f.push("--user", `${sc.runAsUser ?? ""}${sc.runAsGroup !== undefined ? `:${sc.runAsGroup}` : ""}`);
  }
  for (const g of sc.supplementalGroups ?? []) {
    id(g, "supplementalGroups");
    f.push("--group-add", String(g));
  }
  if (sc.privileged) f.push("--privileged");
  if (sc.readOnlyRootFilesystem) f.push("--read-only");
  if (sc.allowPrivilegeEscalation === false) f.push("--security-opt", "no-new-privileges");
  for (const [flag, caps] of [
    ["--cap-drop", sc.capabilities?.drop ?? []],
    ["--cap-add", sc.capabilities?.add ?? []],
  ] as const) {
    for (const c of caps) {
      if (!CAP.test(c)) throw new InvalidSpecError(`invalid capability ${JSON.stringify(c)}`);
      f.push(flag, c);
    }
  }

  const r = spec.resources ?? {};
  if (r.cpuLimit !== undefined) {
    if (!(r.cpuLimit > 0)) throw new InvalidSpecError("cpuLimit must be > 0");
    f.push("--cpus", String(Math.max(0.01, Math.round(r.cpuLimit * 1000) / 1000)));
  }
  if (r.cpuRequest !== undefined) {
    if (!(r.cpuRequest >= 0)) throw new InvalidSpecError("cpuRequest must be >= 0");
    f.push("--cpu-shares", String(Math.max(2, Math.floor(r.cpuRequest * 1024))));
  }
  if (r.memoryLimitBytes !== undefined) {
    // Docker refuses less than 6 MiB; say so before creating anything.
    if (!Number.isInteger(r.memoryLimitBytes) || r.memoryLimitBytes < 6 * 1024 * 1024) {
      throw new InvalidSpecError("memoryLimitBytes must be an integer of at least 6 MiB");
    }
    f.push("--memory", `${r.memoryLimitBytes}b`, "--memory-swap", `${r.memoryLimitBytes}b`);
  }

  if (spec.stdin) f.push("--interactive");
  if (spec.tty) f.push("--tty");
  if (logMaxBytes > 0) f.push("--log-opt", `max-size=${logMaxBytes}b`);

  const cmd: string[] = [];
  if (spec.command && spec.command.length > 0) {
    f.push("--entrypoint", spec.command[0]!);
    cmd.push(...spec.command.slice(1));
  }
  if (spec.args && spec.args.length > 0) cmd.push(...spec.args);
  return { flags: f, image, cmd };
}
