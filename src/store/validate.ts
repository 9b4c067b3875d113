/**
 * @module store/validate
 * Shape checks for commands. Proposers call `assertValidCommand` so bad input
 * fails fast with a typed error; the state machine calls `commandProblem` again
 * at apply time so a malformed log entry is rejected the same way on every
 * replica instead of wedging the apply loop.
 */
import type { Command } from "./commands.ts";
import type { WatchOptions } from "./types.ts";
import { keyProblem } from "./keys.ts";

/** Largest value accepted, in UTF-16 code units (etcd's default request limit is 1.5 MiB). */
export const MAX_VALUE_LENGTH = 1536 * 1024;
/** Largest lease TTL in seconds (etcd's MaxLeaseTTL). */
export const MAX_LEASE_TTL = 9_000_000_000;

export class InvalidCommandError extends Error {
  constructor(readonly reason: string) {
    super(`invalid store command: ${reason}`);
    this.name = "InvalidCommandError";
  }
}

const isRev = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
const isLeaseId = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) > 0;
const isTime = (n: unknown): n is number => typeof n === "number" && Number.isFinite(n) && n >= 0;

function valueProblem(value: unknown): string | null {
  if (typeof value !== "string") return "value is not a string";
  if (value.length > MAX_VALUE_LENGTH) return `value longer than ${MAX_VALUE_LENGTH}`;
  return null;
}

function optLease(lease: unknown): string | null {
  return lease === undefined || lease === 0 || isLeaseId(lease) ? null : "lease is not a positive integer";
}

/** Returns why `cmd` is malformed, or null when it is well formed. */
export function commandProblem(cmd: Command): string | null {
  if (typeof cmd !== "object" || cmd === null) return "not an object";
  switch (cmd.op) {
    case "create":
      return keyProblem(cmd.key) ?? valueProblem(cmd.value) ?? optLease(cmd.lease);
    case "update":
      return keyProblem(cmd.key) ?? valueProblem(cmd.value) ?? optLease(cmd.lease) ??
        (isRev(cmd.expectedRevision) && cmd.expectedRevision > 0 ? null : "expectedRevision must be a positive integer");
    case "delete":
      return keyProblem(cmd.key) ?? (isRev(cmd.expectedRevision) ? null : "expectedRevision must be a non-negative integer");
    case "compact":
      return isRev(cmd.revision) ? null : "revision must be a non-negative integer";
    case "leaseGrant":
      if (!isLeaseId(cmd.id)) return "lease id must be a positive integer";
      if (!Number.isSafeInteger(cmd.ttl) || cmd.ttl < 1 || cmd.ttl > MAX_LEASE_TTL) return `ttl must be an integer in [1, ${MAX_LEASE_TTL}]`;
      return isTime(cmd.now) ? null : "now must be a non-negative number";
    case "leaseRevoke":
      return isLeaseId(cmd.id) ? null : "lease id must be a positive integer";
    case "leaseKeepAlive":
      if (!isLeaseId(cmd.id)) return "lease id must be a positive integer";
      return isTime(cmd.now) ? null : "now must be a non-negative number";
    case "leasePromote":
      return isTime(cmd.now) ? null : "now must be a non-negative number";
    case "noop":
      return null;
    default:
      return `unknown op ${JSON.stringify((cmd as { op?: unknown }).op)}`;
  }
}

export function assertValidCommand(cmd: Command): void {
  const problem = commandProblem(cmd);
  if (problem) throw new InvalidCommandError(problem);
}

/** Throws InvalidCommandError for a watch request that makes no sense. */
export function assertValidWatch(prefix: unknown, opts: WatchOptions): void {
  if (typeof prefix !== "string") throw new InvalidCommandError("watch prefix is not a string");
  if (!opts || !isRev(opts.afterRevision)) throw new InvalidCommandError("watch afterRevision must be a non-negative integer");
  if (opts.bufferLimit !== undefined && !(Number.isSafeInteger(opts.bufferLimit) && opts.bufferLimit > 0)) {
    throw new InvalidCommandError("watch bufferLimit must be a positive integer");
  }
  if (opts.progressIntervalMs !== undefined && !(typeof opts.progressIntervalMs === "number" && opts.progressIntervalMs >= 0)) {
    throw new InvalidCommandError("watch progressIntervalMs must be a non-negative number");
  }
  if (opts.exact && prefix === "") throw new InvalidCommandError("an exact watch needs a key");
}
