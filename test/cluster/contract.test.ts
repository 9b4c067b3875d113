/**
 * The Store contract suite against RaftStore: a 1-voter cluster, and a 3-voter cluster
 * whose store under test is a follower (so writes are forwarded, reads go through
 * ReadIndex at the leader and watches see replicated events).
 */
import { runStoreContract } from "../../src/store/contract.ts";
import { startInProcessCluster } from "./in-process.ts";
import { namespaced } from "./namespaced-store.ts";

runStoreContract("RaftStore (1 voter)", async () => {
  const c = await startInProcessCluster(1);
  return { store: c.members[0]!.store, cleanup: () => c.stop() };
});

runStoreContract("RaftStore (3 voters, via a follower)", async () => {
  const c = await startInProcessCluster(3);
  const leader = await c.waitLeader();
  const follower = c.members.find((m) => m !== leader)!;
  // Member records live in the keyspace: the view keeps them out of list("").
  return { store: namespaced(follower.store, "/t"), cleanup: () => c.stop() };
});
