/**
 * @module tunnel/types
 * What travels inside tunnel frames: the request that opens a stream (log, exec, attach,
 * port-forward of one pod), the agent's reply, its final outcome, and a validator for
 * requests (the agent must not trust a frame's shape).
 */

export type StreamKind = "log" | "exec" | "attach" | "portforward";

/** A Kubernetes-style failure the agent reports; the server turns it into a Status. */
export interface RemoteStatus {
  /** HTTP code for the Status (400 for the kubelet's validation errors, 404, 500...). */
  code: number;
  reason: string;
  message: string;
}

export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
}

export interface LogParams {
  follow?: boolean;
  /** Serve the previous (terminated) instance of the container. */
  previous?: boolean;
  tailLines?: number;
  timestamps?: boolean;
  /** RFC 3339 time; only lines at or after it (sinceSeconds is converted by the server). */
  sinceTime?: string;
  limitBytes?: number;
}

export interface ExecParams {
  /** Empty for attach. */
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export interface StreamRequest {
  kind: StreamKind;
  pod: PodRef;
  /** Container name (not needed for port-forward). */
  container?: string;
  /**
   * Runtime id of the container instance to use, from the pod's status
   * ("podman://<id>" or a bare id); the agent checks it belongs to the pod.
   * Absent when the status carries none: the agent then finds it by labels.
   */
  containerId?: string;
  log?: LogParams;
  exec?: ExecParams;
  /** Port-forward: the pod port and the pod IP the server knows ("" for host network). */
  port?: number;
  podIP?: string;
  hostNetwork?: boolean;
}

export type StreamReply = { ok: true } | { ok: false; status: RemoteStatus };

/** The end of a stream: exec exit code, or an error (status) that ended it. */
export interface StreamExit {
  exitCode?: number;
  error?: RemoteStatus;
}

export interface TerminalSize {
  width: number;
  height: number;
}

/** A request frame that does not describe a valid stream. */
export class InvalidStreamRequestError extends Error {
  override name = "InvalidStreamRequestError";
}

const KINDS = new Set<StreamKind>(["log", "exec", "attach", "portforward"]);

function str(v: unknown, what: string, optional = false): string | undefined {
  if (v === undefined && optional) return undefined;
  if (typeof v !== "string" || (!optional && v === "")) throw new InvalidStreamRequestError(`${what} must be a non-empty string`);
  return v;
}
function bool(v: unknown, what: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "boolean") throw new InvalidStreamRequestError(`${what} must be a boolean`);
  return v;
}
function int(v: unknown, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw new InvalidStreamRequestError(`${what} must be an integer in [${min}, ${max}]`);
  return v;
}

/** Checks and normalises a decoded OPEN payload. */
export function parseStreamRequest(v: unknown): StreamRequest {
  if (!v || typeof v !== "object") throw new InvalidStreamRequestError("stream request must be an object");
  const o = v as Record<string, unknown>;
  if (!KINDS.has(o.kind as StreamKind)) throw new InvalidStreamRequestError(`unknown stream kind ${JSON.stringify(o.kind)}`);
  const kind = o.kind as StreamKind;
  const p = o.pod as Record<string, unknown> | undefined;
  if (!p || typeof p !== "object") throw new InvalidStreamRequestError("pod is required");
  const req: StreamRequest = { kind, pod: { namespace: str(p.namespace, "pod.namespace")!, name: str(p.name, "pod.name")!, uid: str(p.uid, "pod.uid", true) ?? "" } };
  if (kind !== "portforward") req.container = str(o.container, "container");
  else if (o.container !== undefined) req.container = str(o.container, "container");
  if (o.containerId !== undefined) req.containerId = str(o.containerId, "containerId");
  if (kind === "log") {
    const l = (o.log ?? {}) as Record<string, unknown>;
    if (typeof l !== "object") throw new InvalidStreamRequestError("log must be an object");
    req.log = {
      follow: bool(l.follow, "log.follow"),
      previous: bool(l.previous, "log.previous"),
      tailLines: int(l.tailLines, "log.tailLines", 0),
      timestamps: bool(l.timestamps, "log.timestamps"),
      sinceTime: str(l.sinceTime, "log.sinceTime", true),
      limitBytes: int(l.limitBytes, "log.limitBytes", 1),
    };
    if (req.log.sinceTime !== undefined && Number.isNaN(Date.parse(req.log.sinceTime))) throw new InvalidStreamRequestError("log.sinceTime must be an RFC 3339 time");
  }
  if (kind === "exec" || kind === "attach") {
    const e = o.exec as Record<string, unknown> | undefined;
    if (!e || typeof e !== "object") throw new InvalidStreamRequestError("exec parameters are required");
    const command = e.command ?? [];
    if (!Array.isArray(command) || command.some((c) => typeof c !== "string")) throw new InvalidStreamRequestError("exec.command must be a list of strings");
    if (kind === "exec" && command.length === 0) throw new InvalidStreamRequestError("exec.command must not be empty");
    req.exec = {
      command: command as string[],
      stdin: bool(e.stdin, "exec.stdin") ?? false,
      stdout: bool(e.stdout, "exec.stdout") ?? false,
      stderr: bool(e.stderr, "exec.stderr") ?? false,
      tty: bool(e.tty, "exec.tty") ?? false,
    };
  }
  if (kind === "portforward") {
    req.port = int(o.port, "port", 1, 65535);
    if (req.port === undefined) throw new InvalidStreamRequestError("port is required");
    req.podIP = str(o.podIP, "podIP", true);
    req.hostNetwork = bool(o.hostNetwork, "hostNetwork");
  }
  return req;
}

export function parseReply(v: unknown): StreamReply {
  const o = v as Record<string, unknown> | null;
  if (o && o.ok === true) return { ok: true };
  if (o && o.ok === false) return { ok: false, status: parseStatus(o.status) };
  throw new InvalidStreamRequestError("malformed reply");
}

export function parseStatus(v: unknown): RemoteStatus {
  const s = (v ?? {}) as Record<string, unknown>;
  const code = typeof s.code === "number" && s.code >= 400 && s.code < 600 ? s.code : 500;
  return { code, reason: typeof s.reason === "string" ? s.reason : "InternalError", message: typeof s.message === "string" ? s.message : "unknown error" };
}

export function parseExit(v: unknown): StreamExit {
  const o = (v ?? {}) as Record<string, unknown>;
  const out: StreamExit = {};
  if (typeof o.exitCode === "number" && Number.isInteger(o.exitCode)) out.exitCode = o.exitCode;
  if (o.error !== undefined) out.error = parseStatus(o.error);
  return out;
}

export function parseSize(v: unknown): TerminalSize | null {
  const o = (v ?? {}) as Record<string, unknown>;
  const w = o.width;
  const h = o.height;
  if (typeof w !== "number" || typeof h !== "number" || !Number.isInteger(w) || !Number.isInteger(h) || w < 0 || h < 0 || w > 65535 || h > 65535) return null;
  return { width: w, height: h };
}
