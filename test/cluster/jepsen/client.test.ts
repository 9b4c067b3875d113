/**
 * The fault test's reading of kite's errors (client.ts) against kite's own error paths: a
 * write that never found a leader and a read barrier that got no answer become 503s that
 * prove nothing was written; a write that was proposed and then timed out does not.
 */
import { describe, expect, it } from "bun:test";
import { ProposalTracker } from "../../../src/cluster/proposal-tracker.ts";
import { ReadBarrier } from "../../../src/cluster/read-barrier.ts";
import { GenericRegistry } from "../../../src/api/registry/generic.ts";
import { ApiError } from "../../../src/api/errors.ts";
import { StoreClosedError } from "../../../src/store/types.ts";
import { classifyFetchError, provesNotApplied } from "./client.ts";

/** The HTTP status and message kite's registry answers for a store error. */
function asHttp(e: unknown): { status: number; message: string } {
  const mapped = GenericRegistry.prototype.mapStoreError.call(null, e);
  if (!(mapped instanceof ApiError)) throw new Error(`not mapped to an API error: ${String(e)}`);
  return { status: mapped.code, message: mapped.message };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e,
  );
}

describe("kite's answers as the fault test reads them", () => {
  it("a write that never found a leader: 503 that proves it was not applied", async () => {
    const t = new ProposalTracker({ leader: () => 0, term: () => 1, propose: () => {} }, 1, 30);
    const { status, message } = asHttp(await rejection(t.propose({ op: "create", key: "/k", value: "v", lease: 0 })));
    t.close();
    expect(status).toBe(503);
    expect(provesNotApplied(status, message)).toBe(true);
  });

  it("a write proposed to a leader and then timed out: 504, outcome unknown", async () => {
    const t = new ProposalTracker({ leader: () => 7, term: () => 1, propose: () => {} }, 1, 30);
    const { status, message } = asHttp(await rejection(t.propose({ op: "create", key: "/k", value: "v", lease: 0 })));
    t.close();
    expect(status).toBe(504);
    expect(provesNotApplied(status, message)).toBe(false);
  });

  it("a read barrier (the read before every update/delete) without an answer: 503 that proves nothing was written", async () => {
    const b = new ReadBarrier({ readIndex: () => {}, appliedIndex: () => 0 }, "t.", 30, 10);
    const { status, message } = asHttp(await rejection(b.wait()));
    b.close();
    expect(status).toBe(503);
    expect(provesNotApplied(status, message)).toBe(true);
  });

  it("other 503s (a closing store may have proposed it), refusals vs. other network errors", () => {
    const closed = asHttp(new StoreClosedError());
    expect(closed.status).toBe(503);
    expect(provesNotApplied(closed.status, closed.message)).toBe(false);
    expect(provesNotApplied(504, "the write was not proposed")).toBe(false);
    expect(classifyFetchError(Object.assign(new TypeError("ECONNREFUSED: Unable to connect"), { code: "ECONNREFUSED" }))).toBe("refused");
    expect(classifyFetchError(Object.assign(new TypeError("socket closed"), { code: "ECONNRESET" }))).toBe("unknown");
    expect(classifyFetchError(new DOMException("The operation timed out.", "TimeoutError"))).toBe("unknown");
  });
});
