/**
 * @module agent/runtime/types
 * The container runtime contract of kite's agent: what the pod lifecycle needs
 * from a container engine, with the podman and docker CLIs as implementations
 * (podman.ts, docker.ts). Kubernetes semantics (command/args, pull policies,
 * termination reasons) are mapped here; engine quirks stay in the
 * implementations.
 *
 * A pod is a *sandbox* (a podman pod, or a docker "pause" container) that owns
 * the network namespace, IP, hostname and published ports; the pod's
 * containers join it. Everything kite creates carries labels (see LABELS) so a
 * restarted agent can adopt its containers and several agents on one machine
 * (different node names) never touch each other's.
 */

export type RuntimeName = "podman" | "docker";

export interface RuntimeInfo {
  name: RuntimeName;
  /** Engine (server) version, e.g. "4.3.1" or "20.10.24+dfsg1". */
  version: string;
  /** "podman://4.3.1" style string for Node.status.nodeInfo.containerRuntimeVersion. */
  runtimeVersion: string;
  /** Engine API version, when the engine reports one. */
  apiVersion?: string;
}

/** Label keys kite puts on sandboxes and containers. */
export const LABELS = {
  /** Node (agent) name: the adoption scope. Several agents may share one engine. */
  nodeName: "io.kite.node-name",
  podUid: "io.kubernetes.pod.uid",
  podName: "io.kubernetes.pod.name",
  podNamespace: "io.kubernetes.pod.namespace",
  containerName: "io.kubernetes.container.name",
  /** Free for the lifecycle layer: restart count of the container (kubelet keeps it in a label too). */
  restartCount: "io.kubernetes.container.restartCount",
  /** Set by the runtime: "sandbox" or "container". Callers must not set it. */
  kind: "io.kite.kind",
  /** Set by the runtime on containers: id of the sandbox they joined. */
  sandboxId: "io.kite.sandbox-id",
} as const;

/** Builds the identity labels of a pod's sandbox or one of its containers. */
export function podLabels(p: {
  nodeName: string;
  podUid: string;
  podName: string;
  podNamespace: string;
  containerName?: string;
}): Record<string, string> {
  const l: Record<string, string> = {
    [LABELS.nodeName]: p.nodeName,
    [LABELS.podUid]: p.podUid,
    [LABELS.podName]: p.podName,
    [LABELS.podNamespace]: p.podNamespace,
  };
  if (p.containerName !== undefined) l[LABELS.containerName] = p.containerName;
  return l;
}

export type PullPolicy = "Always" | "IfNotPresent" | "Never";
export type Protocol = "TCP" | "UDP" | "SCTP";

/** A hostPort published on the sandbox (Kubernetes containerPort with hostPort set). */
export interface PortMapping {
  containerPort: number;
  hostPort: number;
  /** Host address to bind; default all addresses. */
  hostIP?: string;
  protocol?: Protocol;
}

export interface SandboxSpec {
  /** Engine-level name, unique on the engine (include the pod UID). */
  name: string;
  labels: Record<string, string>;
  hostname?: string;
  /** Ports of ALL the pod's containers that set a hostPort: the sandbox owns the network. */
  ports?: PortMapping[];
  hostNetwork?: boolean;
  /** Share one PID namespace between the pod's containers. */
  shareProcessNamespace?: boolean;
  dns?: { servers?: string[]; searches?: string[]; options?: string[] };
  /** Extra /etc/hosts entries (Pod.spec.hostAliases). */
  hostAliases?: { ip: string; hostnames: string[] }[];
}

export type SandboxState = "ready" | "notready";

export interface SandboxInfo {
  id: string;
  name: string;
  labels: Record<string, string>;
  state: SandboxState;
  /** Pod IP; "" when the sandbox is not running or uses the host network. */
  ip: string;
  createdAt: Date | null;
}

export interface Mount {
  hostPath: string;
  containerPath: string;
  readOnly?: boolean;
}

export interface SecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  supplementalGroups?: number[];
  privileged?: boolean;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  /** Capability names as in Kubernetes ("NET_ADMIN", "ALL"), with or without the CAP_ prefix. */
  capabilities?: { add?: string[]; drop?: string[] };
}

export interface Resources {
  /** limits.cpu in cores (0.5 = 500m) → --cpus. */
  cpuLimit?: number;
  /** requests.cpu in cores → --cpu-shares (1 core = 1024, minimum 2). */
  cpuRequest?: number;
  /** limits.memory in bytes → --memory (swap disabled: --memory-swap = the same). */
  memoryLimitBytes?: number;
}

export interface EnvVar {
  name: string;
  value: string;
}

export interface ContainerSpec {
  /** Engine-level name, unique on the engine (include pod UID and attempt). */
  name: string;
  /** Sandbox the container joins (network, IPC, UTS; PID when shared). */
  sandboxId: string;
  /** Image reference; normalised with normalizeImageRef before use. */
  image: string;
  /** Kubernetes `command`: replaces the image ENTRYPOINT (and drops its CMD). */
  command?: string[];
  /** Kubernetes `args`: replaces the image CMD. */
  args?: string[];
  env?: EnvVar[];
  workingDir?: string;
  labels: Record<string, string>;
  mounts?: Mount[];
  securityContext?: SecurityContext;
  resources?: Resources;
  /** Keep stdin open (Kubernetes `stdin`), for attach. */
  stdin?: boolean;
  tty?: boolean;
}

export type ContainerState = "created" | "running" | "exited" | "unknown";

export interface ContainerInfo {
  id: string;
  name: string;
  labels: Record<string, string>;
  state: ContainerState;
  /** Exit code once exited (137 = SIGKILL, 143 = SIGTERM); null before. */
  exitCode: number | null;
  createdAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** The kernel OOM killer killed a process of this container. */
  oomKilled: boolean;
  /** Image reference the container was created from. */
  image: string;
  /** Image digest/id ("sha256:…"). */
  imageId: string;
  /** Sandbox the container belongs to; "" if none. */
  sandboxId: string;
  /**
   * Why the container failed to start (e.g. executable not found), else "".
   * docker keeps it; podman does not, so the runtime remembers the last start
   * failure per container in memory (lost on agent restart).
   */
  error: string;
  pid: number;
}

/**
 * Kubernetes terminated-state reason for a container that exited or could not
 * start ("StartError", as the kubelet reports a failed start today).
 */
export function terminationReason(c: ContainerInfo): "OOMKilled" | "Completed" | "Error" | "StartError" {
  if (c.oomKilled) return "OOMKilled";
  if (c.error && c.startedAt === null) return "StartError";
  return c.exitCode === 0 ? "Completed" : "Error";
}

export interface LogOptions {
  follow?: boolean;
  /** Only the last N lines (kubectl logs --tail). */
  tail?: number;
  /** Prefix each line with an RFC3339Nano timestamp and a space. */
  timestamps?: boolean;
  /** Only lines written at or after this time. */
  since?: Date;
}

export interface ExecOptions {
  stdin?: boolean;
  tty?: boolean;
  env?: EnvVar[];
  workingDir?: string;
  /** Initial terminal size when tty is set. */
  size?: { cols: number; rows: number };
}

export interface AttachOptions {
  stdin?: boolean;
  tty?: boolean;
  size?: { cols: number; rows: number };
}

/** A running exec or attach session: byte streams plus the exit code. */
export interface StreamSession {
  /** Present when stdin was requested; close it to send EOF. */
  stdin: WritableStream<Uint8Array> | null;
  /** With a tty, stdout carries the merged terminal output. */
  stdout: ReadableStream<Uint8Array>;
  /** null with a tty. */
  stderr: ReadableStream<Uint8Array> | null;
  /**
   * Exit code of the command (exec) or of the container (attach, when it ends
   * because the container exited; -1 when it ended while the container runs,
   * e.g. after close()). Rejects with NotFoundError or
   * ContainerNotRunningError when the engine refused the session.
   */
  exited: Promise<number>;
  /** Resize the terminal (tty sessions only; no-op otherwise). */
  resize(cols: number, rows: number): void;
  /**
   * End the session from our side (kills the CLI client). The container keeps
   * running, but after an attach WITH stdin both engines close the container's
   * stdin, as for Kubernetes stdinOnce=true (neither CLI can leave it open).
   */
  close(): void;
}

export type RuntimeEventAction = "create" | "start" | "die" | "oom" | "destroy" | "other";

export interface RuntimeEvent {
  action: RuntimeEventAction;
  /** The engine's own action name ("died", "die", "cleanup", …). */
  rawAction: string;
  id: string;
  name: string;
  labels: Record<string, string>;
  time: Date;
  exitCode?: number;
}

/** A live stream of container events; iterate, then close(). */
export interface RuntimeEventStream extends AsyncIterable<RuntimeEvent> {
  close(): void;
}

export interface ImageInfo {
  id: string;
  tags: string[];
  sizeBytes: number;
}

export interface ContainerRuntime {
  readonly name: RuntimeName;
  info(): Promise<RuntimeInfo>;

  imageExists(image: string): Promise<boolean>;
  /** Throws ImagePullError with the engine's message. */
  pullImage(image: string): Promise<void>;
  /**
   * Applies a pull policy. Resolves "present" (already there) or "pulled".
   * Never + missing → ImageNotPresentError (ErrImageNeverPull);
   * failed pull → ImagePullError (ErrImagePull, then ImagePullBackOff).
   */
  ensureImage(image: string, policy: PullPolicy): Promise<"present" | "pulled">;
  listImages(): Promise<ImageInfo[]>;
  /** Idempotent; throws RuntimeError when the image is in use. */
  removeImage(image: string): Promise<void>;

  /** Creates and starts the sandbox; resolves with its id and pod IP. */
  createSandbox(spec: SandboxSpec): Promise<{ id: string; ip: string }>;
  /** Stops the sandbox's containers (grace seconds each) and the sandbox. Idempotent. */
  stopSandbox(id: string, graceSeconds?: number): Promise<void>;
  /** Force-removes the sandbox and every container in it. Idempotent. */
  removeSandbox(id: string): Promise<void>;
  inspectSandbox(id: string): Promise<SandboxInfo>;
  /** Sandboxes carrying all the given labels (exact values). */
  listSandboxes(labelFilter: Record<string, string>): Promise<SandboxInfo[]>;

  /** Resolves with the new container's id. The image must be present. */
  createContainer(spec: ContainerSpec): Promise<string>;
  /** Throws ContainerStartError when the process cannot run (the message is kept in ContainerInfo.error). */
  startContainer(id: string): Promise<void>;
  /** SIGTERM (or the image's stop signal), wait up to graceSeconds, then SIGKILL. */
  stopContainer(id: string, graceSeconds: number): Promise<void>;
  /** Force-removes (kills if running). Idempotent. */
  removeContainer(id: string): Promise<void>;
  inspectContainer(id: string): Promise<ContainerInfo>;
  /** Containers (never sandboxes) carrying all the given labels, in any state. */
  listContainers(labelFilter: Record<string, string>): Promise<ContainerInfo[]>;

  /**
   * The container's output (stdout and stderr merged in arrival order) as
   * bytes. Works on exited containers until they are removed, which is how
   * `kubectl logs --previous` is served. Cancel the stream to stop following.
   */
  logs(id: string, opts?: LogOptions): Promise<ReadableStream<Uint8Array>>;
  exec(id: string, cmd: string[], opts?: ExecOptions): Promise<StreamSession>;
  attach(id: string, opts?: AttachOptions): Promise<StreamSession>;
  /**
   * Container events for containers carrying all the given labels, from now
   * on, or replayed from `since` (to catch up after an agent restart).
   * Iterate once; close() ends the stream.
   */
  events(labelFilter?: Record<string, string>, opts?: { since?: Date }): RuntimeEventStream;
}

// ---------------------------------------------------------------- errors

/** Base of every runtime error; `stderr` holds the engine's message when there is one. */
export class RuntimeError extends Error {
  override name = "RuntimeError";
  constructor(
    message: string,
    readonly details: { runtime?: RuntimeName | string; args?: string[]; exitCode?: number; stderr?: string } = {},
  ) {
    super(message);
  }
}

/** The engine's CLI is missing, or its daemon/service does not answer. */
export class RuntimeUnavailableError extends RuntimeError {
  override name = "RuntimeUnavailableError";
}

/** The CLI did not finish within its time limit (it was killed). */
export class RuntimeTimeoutError extends RuntimeError {
  override name = "RuntimeTimeoutError";
}

export class NotFoundError extends RuntimeError {
  override name = "NotFoundError";
  constructor(
    readonly kind: "container" | "sandbox" | "image",
    readonly ref: string,
    details: RuntimeError["details"] = {},
  ) {
    super(`${kind} ${ref} not found`, details);
  }
}

/** A name is already taken on the engine (e.g. a container left from before a restart). */
export class AlreadyExistsError extends RuntimeError {
  override name = "AlreadyExistsError";
}

/** startContainer failed: the engine could not run the process (RunContainerError / StartError). */
export class ContainerStartError extends RuntimeError {
  override name = "ContainerStartError";
  constructor(readonly ref: string, readonly engineMessage: string, details: RuntimeError["details"] = {}) {
    super(`container ${ref} failed to start: ${engineMessage}`, details);
  }
}

export class ContainerNotRunningError extends RuntimeError {
  override name = "ContainerNotRunningError";
  constructor(readonly ref: string, details: RuntimeError["details"] = {}) {
    super(`container ${ref} is not running`, details);
  }
}

/** Pulling failed (ErrImagePull); `message` carries the engine's explanation. */
export class ImagePullError extends RuntimeError {
  override name = "ImagePullError";
  constructor(readonly image: string, engineMessage: string, details: RuntimeError["details"] = {}) {
    super(`pull of ${image} failed: ${engineMessage}`, details);
  }
}

/** Policy Never and the image is absent (ErrImageNeverPull). */
export class ImageNotPresentError extends RuntimeError {
  override name = "ImageNotPresentError";
  constructor(readonly image: string) {
    super(`image ${image} is not present and the pull policy is Never`);
  }
}

/** The spec cannot be expressed (bad path, bad port, …). Nothing was created. */
export class InvalidSpecError extends RuntimeError {
  override name = "InvalidSpecError";
}
