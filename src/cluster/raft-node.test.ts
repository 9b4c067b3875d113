/** RaftNode's environment knobs (the node itself is covered by the store and process tests). */
import { expect, it } from "bun:test";
import { snapshotCadenceFromEnv, timingFromEnv } from "./raft-node.ts";

it("reads the snapshot cadence from the environment, ignoring unset or invalid values", () => {
  expect(snapshotCadenceFromEnv({})).toEqual({ snapshotEvery: undefined, compactionMargin: undefined });
  expect(snapshotCadenceFromEnv({ KITE_RAFT_SNAPSHOT_EVERY: "200", KITE_RAFT_COMPACTION_MARGIN: "0" })).toEqual({ snapshotEvery: 200, compactionMargin: 0 });
  expect(snapshotCadenceFromEnv({ KITE_RAFT_SNAPSHOT_EVERY: "-1", KITE_RAFT_COMPACTION_MARGIN: "x" })).toEqual({ snapshotEvery: undefined, compactionMargin: undefined });
  expect(timingFromEnv({ KITE_RAFT_TICK_MS: "20" }).tickMs).toBe(20);
});
