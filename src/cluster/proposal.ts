/**
 * @module cluster/proposal
 * The payload of a replicated log entry: a store command plus the proposer's request id,
 * so the proposer can recognise its own entry when it is applied (and answer its client)
 * and retried requests can be told apart. The leader's empty entries have data "".
 */
import type { Command } from "../store/commands.ts";

export interface Proposal {
  /** Unique per request (e.g. "<node>-<counter>"); never reused. */
  id: string;
  cmd: Command;
}

export class MalformedProposalError extends Error {
  constructor(readonly data: string) {
    super(`malformed proposal entry: ${data.slice(0, 80)}`);
    this.name = "MalformedProposalError";
  }
}

export function encodeProposal(p: Proposal): string {
  return JSON.stringify({ id: p.id, cmd: p.cmd });
}

/** Decodes an entry's data; null for the leader's empty entry. */
export function decodeProposal(data: string): Proposal | null {
  if (data === "") return null;
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    throw new MalformedProposalError(data);
  }
  const p = v as Proposal;
  if (typeof p !== "object" || p === null || typeof p.id !== "string" || typeof p.cmd !== "object" || p.cmd === null) {
    throw new MalformedProposalError(data);
  }
  return p;
}
