/**
 * @module api/streaming/remotecommand
 * What exec and attach share across transports: the request options (PodExecOptions /
 * PodAttachOptions with upstream's checks), the protocol versions, and the final Status
 * written on the error channel: JSON `metav1.Status` for v4/v5 (a non-zero exit is
 * `NonZeroExitCode` with an `ExitCode` cause, which kubectl turns into its own exit code),
 * plain text for the older versions.
 */
import { errors } from "../errors.ts";
import type { ExecParams, StreamExit } from "../../tunnel/types.ts";
import { parseBool } from "./params.ts";

/** WebSocket subprotocols, server preference first. */
export const WS_CHANNEL_PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"] as const;
/** SPDY X-Stream-Protocol-Version values we serve (v5 is WebSocket-only upstream too). */
export const SPDY_CHANNEL_PROTOCOLS = ["v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"] as const;

export type CommandKind = "exec" | "attach";

export interface CommandOptions extends ExecParams {
  container: string | null;
}

/** Reads PodExecOptions / PodAttachOptions from the query. */
export function parseCommandOptions(q: URLSearchParams, kind: CommandKind): CommandOptions {
  const o: CommandOptions = {
    container: q.get("container"),
    command: q.getAll("command"),
    stdin: parseBool(q.get("stdin"), "stdin") ?? false,
    stdout: parseBool(q.get("stdout"), "stdout") ?? false,
    stderr: parseBool(q.get("stderr"), "stderr") ?? false,
    tty: parseBool(q.get("tty"), "tty") ?? false,
  };
  if (!o.stdin && !o.stdout && !o.stderr) throw errors.badRequest("you must specify at least 1 of stdin, stdout, stderr");
  if (kind === "exec" && o.command.length === 0) throw errors.badRequest("you must specify at least one command for the container");
  if (o.tty && o.stderr) o.stderr = false; // a terminal merges stderr into stdout (upstream ignores stderr with tty)
  return o;
}

/** Protocol versions with a JSON Status on the error channel. */
export function statusIsJson(protocol: string): boolean {
  return protocol.startsWith("v4.") || protocol.startsWith("v5.");
}

/** The error-channel payload ending a session, or null when nothing is written (success on v1–v3). */
export function finalStatus(kind: CommandKind, command: string[], exit: StreamExit, protocol: string): string | null {
  const json = statusIsJson(protocol);
  if (exit.error) {
    const e = exit.error;
    return json ? JSON.stringify({ metadata: {}, status: "Failure", message: e.message, reason: e.reason, code: e.code }) : e.message;
  }
  const code = exit.exitCode ?? 0;
  if (kind === "attach" || code === 0) return json ? JSON.stringify({ metadata: {}, status: "Success" }) : null;
  const message = `command terminated with non-zero exit code: error executing command [${command.join(" ")}], exit code ${code}`;
  if (!json) return message;
  return JSON.stringify({ metadata: {}, status: "Failure", message, reason: "NonZeroExitCode", details: { causes: [{ reason: "ExitCode", message: String(code) }] } });
}

/** `{"Width":W,"Height":H}` (client-go's TerminalSize JSON), as sent on the resize channel/stream. */
export function parseResize(text: string): { width: number; height: number } | null {
  try {
    const o = JSON.parse(text) as { Width?: unknown; Height?: unknown };
    const w = Number(o.Width);
    const h = Number(o.Height);
    if (!Number.isInteger(w) || !Number.isInteger(h) || w < 0 || h < 0 || w > 65535 || h > 65535) return null;
    return { width: w, height: h };
  } catch {
    return null;
  }
}
