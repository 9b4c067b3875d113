import { describe, expect, it } from "bun:test";
import { ProposalTracker } from "./proposal-tracker.ts";
import { decodeProposal } from "./proposal.ts";
import { ProposalDroppedError } from "../raft/errors.ts";
import { StoreClosedError, TimeoutError, UnavailableError } from "../store/types.ts";
import type { CommandResult } from "../store/commands.ts";

function sink() {
  const s = { lead: 0, term: 1, drop: false, proposed: [] as string[] };
  return {
    s,
    api: {
      leader: () => s.lead,
      term: () => s.term,
      propose: (d: string) => {
        if (s.drop) throw new ProposalDroppedError("transfer in progress");
        s.proposed.push(d);
      },
    },
  };
}
const noop = (revision: number): CommandResult => ({ op: "noop", revision });
const applied = (data: string[], lastTerm: number, t: ProposalTracker, base = 1) =>
  t.onApplied(data.map((d, i) => ({ index: base + i, id: decodeProposal(d)!.id, cmd: decodeProposal(d)!.cmd })), data.map((_, i) => noop(i)), lastTerm);

describe("ProposalTracker", () => {
  it("holds proposals until a leader is known, then submits them; resolves each caller from its own entry", async () => {
    const { s, api } = sink();
    const t = new ProposalTracker(api, 1, 2000);
    const p1 = t.propose({ op: "noop" });
    const p2 = t.propose({ op: "noop" });
    expect(s.proposed).toHaveLength(0);
    s.lead = 2;
    t.retry();
    expect(s.proposed).toHaveLength(2);
    // Another member's entry in between is ignored.
    t.onApplied([{ index: 1, id: "other.x.1", cmd: { op: "noop" } }], [noop(5)], 1);
    applied([s.proposed[1]!, s.proposed[0]!], 1, t, 2);
    expect(await p2).toEqual(noop(0));
    expect(await p1).toEqual(noop(1));
    t.close();
  });

  it("fails with UnavailableError when no leader appears in time (never proposed)", async () => {
    const { api } = sink();
    const t = new ProposalTracker(api, 1, 50);
    await expect(t.propose({ op: "noop" })).rejects.toBeInstanceOf(UnavailableError);
    t.close();
  });

  it("retries proposals Raft dropped (e.g. during a leadership transfer)", async () => {
    const { s, api } = sink();
    s.lead = 2;
    s.drop = true;
    const t = new ProposalTracker(api, 1, 2000);
    const p = t.propose({ op: "noop" });
    expect(s.proposed).toHaveLength(0);
    s.drop = false;
    await Bun.sleep(30); // the retry timer
    expect(s.proposed).toHaveLength(1);
    applied(s.proposed, 1, t);
    expect((await p).op).toBe("noop");
    t.close();
  });

  it("a submitted write that times out is a TimeoutError (outcome unknown)", async () => {
    const { s, api } = sink();
    s.lead = 2;
    const t = new ProposalTracker(api, 1, 50);
    await expect(t.propose({ op: "noop" })).rejects.toBeInstanceOf(TimeoutError);
    t.close();
  });

  it("fails writes lost with a leader at once when a newer term's entry applies", async () => {
    const { s, api } = sink();
    s.lead = 2;
    const t = new ProposalTracker(api, 1, 60_000);
    const p = t.propose({ op: "noop" });
    t.onApplied([{ index: 9, id: null, cmd: { op: "noop" } }], [noop(3)], 2);
    await expect(p).rejects.toBeInstanceOf(TimeoutError);
    expect(t.lostOnLeaderChange).toBe(1);
    t.close();
  });

  it("close rejects everything pending with StoreClosedError", async () => {
    const { api } = sink();
    const t = new ProposalTracker(api, 1, 60_000);
    const p = t.propose({ op: "noop" });
    t.close();
    await expect(p).rejects.toBeInstanceOf(StoreClosedError);
    await expect(t.propose({ op: "noop" })).rejects.toBeInstanceOf(StoreClosedError);
  });
});
