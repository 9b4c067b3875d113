/**
 * @module agent/runtime/inspect
 * Parses `podman inspect` / `docker inspect` JSON (they share the docker
 * layout) into ContainerInfo, and events JSON into RuntimeEvent. Pure
 * functions: unit-tested with captured engine output.
 */
import { type ContainerInfo, type ContainerState, LABELS, type RuntimeEvent, type RuntimeEventAction } from "./types.ts";

type Json = Record<string, unknown>;

const obj = (v: unknown): Json => (v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);

/**
 * Engine time (RFC 3339, nanoseconds) → Date, truncated to the millisecond;
 * the engines' zero time ("0001-01-01…") and garbage → null.
 */
export function parseTime(v: unknown): Date | null {
  const s = str(v);
  if (!s || s.startsWith("0001-01-01")) return null;
  const d = new Date(s.replace(/(\.\d{3})\d+/, "$1"));
  return Number.isNaN(d.getTime()) ? null : d;
}

export function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(obj(v))) if (typeof val === "string") out[k] = val;
  return out;
}

export function mapState(status: string): ContainerState {
  switch (status.toLowerCase()) {
    case "created":
    case "configured":
    case "initialized":
      return "created";
    case "running":
    case "paused":
    case "restarting":
    case "stopping":
      return "running";
    case "exited":
    case "stopped":
    case "dead":
      return "exited";
    default:
      return "unknown";
  }
}

function imageId(raw: string): string {
  if (!raw) return "";
  return raw.includes(":") ? raw : `sha256:${raw}`;
}

/** One element of an inspect array → ContainerInfo. */
export function parseContainer(j: unknown): ContainerInfo {
  const c = obj(j);
  const st = obj(c.State);
  const cfg = obj(c.Config);
  const labels = stringMap(cfg.Labels);
  const state = mapState(str(st.Status));
  const startedAt = parseTime(st.StartedAt);
  let finishedAt = state === "exited" ? parseTime(st.FinishedAt) : null;
  // docker stamps StartedAt when start returns, so a process that exits at once can
  // "finish" a little before it "started"; Kubernetes expects finishedAt >= startedAt.
  if (finishedAt && startedAt && finishedAt < startedAt) finishedAt = startedAt;
  return {
    id: str(c.Id),
    name: str(c.Name).replace(/^\//, ""),
    labels,
    state,
    exitCode: state === "exited" ? num(st.ExitCode) : null,
    createdAt: parseTime(c.Created),
    startedAt,
    finishedAt,
    oomKilled: st.OOMKilled === true,
    // podman: ImageName is the reference and Image the id; docker: Config.Image is the reference.
    image: str(c.ImageName) || str(cfg.Image),
    imageId: imageId(str(c.Image)),
    sandboxId: labels[LABELS.sandboxId] ?? str(c.Pod),
    error: str(st.Error),
    pid: num(st.Pid),
  };
}

export function parseInspectArray(text: string): unknown[] {
  const t = text.trim();
  if (!t) return [];
  const v = JSON.parse(t) as unknown;
  return Array.isArray(v) ? v : [v];
}

/** True when every filter label is present with the same value. */
export function hasLabels(labels: Record<string, string>, filter: Record<string, string>): boolean {
  return Object.entries(filter).every(([k, v]) => labels[k] === v);
}

function mapAction(raw: string): RuntimeEventAction {
  switch (raw) {
    case "create":
    case "start":
    case "oom":
      return raw;
    case "die":
    case "died":
      return "die";
    case "destroy":
    case "remove":
      return "destroy";
    default:
      return "other";
  }
}

/**
 * One line of `podman events --format json` or `docker events --format '{{json .}}'`
 * → RuntimeEvent; null for non-container events and unparsable lines.
 */
export function parseEvent(line: string): RuntimeEvent | null {
  let e: Json;
  try {
    e = obj(JSON.parse(line));
  } catch {
    return null;
  }
  if (str(e.Type).toLowerCase() !== "container") return null;
  if ("Actor" in e) {
    // docker
    const actor = obj(e.Actor);
    const attrs = stringMap(actor.Attributes);
    const raw = str(e.Action) || str(e.status);
    const { name = "", image: _image, exitCode, ...labels } = attrs;
    const nanos = typeof e.timeNano === "number" ? e.timeNano / 1e6 : num(e.time) * 1000;
    const ev: RuntimeEvent = { action: mapAction(raw.split(":")[0]!), rawAction: raw, id: str(actor.ID), name, labels, time: new Date(nanos) };
    if (exitCode !== undefined) ev.exitCode = Number(exitCode);
    return ev;
  }
  // podman
  const raw = str(e.Status);
  const ev: RuntimeEvent = {
    action: mapAction(raw),
    rawAction: raw,
    id: str(e.ID),
    name: str(e.Name),
    labels: stringMap(e.Attributes),
    time: parseTime(e.Time) ?? new Date(0),
  };
  if (typeof e.ContainerExitCode === "number") ev.exitCode = e.ContainerExitCode;
  return ev;
}
