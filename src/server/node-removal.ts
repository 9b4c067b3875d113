/**
 * @module server/node-removal
 * `kubectl delete node NAME` for a server's node removes that server from the Raft
 * quorum: the leader watches Node deletions and, when the name is a member's, removes
 * the member (a leader removing itself hands leadership over first). The removed server
 * stops its Raft member and shuts down.
 */
import type { MemberRecord } from "../cluster/members.ts";
import type { RaftStore } from "../cluster/raft-store.ts";
import { StoreClosedError } from "../store/types.ts";
import { logger } from "../util/log.ts";

const log = logger("cluster");

export const NODES_PREFIX = "/registry/nodes/";

/** `onRemoved` runs on the leader after a member left (e.g. to update the `kubernetes` Endpoints). */
export function watchNodeRemovals(store: RaftStore, onRemoved?: (m: MemberRecord) => Promise<void>): { stop(): void } {
  let stopped = false;
  let cancel: (() => void) | null = null;
  const loop = async () => {
    while (!stopped) {
      try {
        const w = store.watch(NODES_PREFIX, { afterRevision: await store.currentRevision() });
        cancel = () => w.cancel();
        for (;;) {
          const b = await w.next();
          if (b === null || stopped) return;
          if (b.kind !== "events") continue;
          for (const e of b.events) {
            if (e.type !== "delete") continue;
            const name = e.kv.key.slice(NODES_PREFIX.length);
            const m = store.members().find((x) => x.name === name);
            if (!m || !store.node.isLeader) continue;
            log.info("the node of a server was deleted: removing it from the cluster", { name, member: m.id.toString(16) });
            store
              .removeMember(m.id)
              .then(() => onRemoved?.(m))
              .catch((err) => log.warn("could not remove the member", { name, error: err as Error }));
          }
        }
      } catch (err) {
        if (stopped || err instanceof StoreClosedError) return;
        await Bun.sleep(500);
      }
    }
  };
  void loop();
  return {
    stop() {
      stopped = true;
      cancel?.();
    },
  };
}
