/**
 * @module raft/confchange
 * Single-step membership changes and restoring a membership from a ConfState
 * (etcd-io/raft confchange/confchange.go `Simple` and restore.go, without joint
 * consensus). Pure: computes the next voters / learners / progress map and validates it;
 * the caller switches the tracker to the result.
 */
import { InvalidConfChangeError } from "./errors.ts";
import { Progress } from "./progress.ts";
import type { ProgressTracker } from "./tracker.ts";
import type { ConfChange, ConfState } from "./types.ts";

export interface TrackerConfig {
  voters: Set<number>;
  learners: Set<number>;
  progress: Map<number, Progress>;
}

function copyConfig(t: ProgressTracker): TrackerConfig {
  const progress = new Map<number, Progress>();
  for (const [id, pr] of t.progress) progress.set(id, pr.clone());
  return { voters: new Set(t.voters), learners: new Set(t.learners), progress };
}

function initProgress(t: ProgressTracker, cfg: TrackerConfig, id: number, isLearner: boolean, lastIndex: number): void {
  if (isLearner) cfg.learners.add(id);
  else cfg.voters.add(id);
  cfg.progress.set(
    id,
    new Progress({
      match: 0,
      // optimistic: probe at the leader's last index (a new member usually needs a snapshot)
      next: Math.max(lastIndex, 1),
      inflights: t.newInflights(),
      isLearner,
      // a new member counts as active so CheckQuorum does not fire before it could answer
      recentActive: true,
    }),
  );
}

function makeVoter(t: ProgressTracker, cfg: TrackerConfig, id: number, lastIndex: number): void {
  const pr = cfg.progress.get(id);
  if (pr === undefined) {
    initProgress(t, cfg, id, false, lastIndex);
    return;
  }
  pr.isLearner = false;
  cfg.learners.delete(id);
  cfg.voters.add(id);
}

function makeLearner(t: ProgressTracker, cfg: TrackerConfig, id: number, lastIndex: number): void {
  const pr = cfg.progress.get(id);
  if (pr === undefined) {
    initProgress(t, cfg, id, true, lastIndex);
    return;
  }
  if (pr.isLearner) return;
  cfg.voters.delete(id);
  pr.isLearner = true;
  cfg.learners.add(id);
}

function remove(cfg: TrackerConfig, id: number): void {
  if (!cfg.progress.has(id)) return;
  cfg.voters.delete(id);
  cfg.learners.delete(id);
  cfg.progress.delete(id);
}

function checkInvariants(cfg: TrackerConfig): void {
  for (const id of cfg.voters) {
    if (!cfg.progress.has(id)) throw new InvalidConfChangeError(`no progress for voter ${id}`);
    if (cfg.learners.has(id)) throw new InvalidConfChangeError(`${id} is both a voter and a learner`);
  }
  for (const id of cfg.learners) {
    const pr = cfg.progress.get(id);
    if (pr === undefined) throw new InvalidConfChangeError(`no progress for learner ${id}`);
    if (!pr.isLearner) throw new InvalidConfChangeError(`${id} is in learners but not marked as learner`);
  }
}

/** Applies one change to a copy of the tracker's config. Throws InvalidConfChangeError. */
export function simpleChange(t: ProgressTracker, cc: ConfChange, lastIndex: number): TrackerConfig {
  const cfg = copyConfig(t);
  if (cc.nodeId !== 0) {
    // node id 0 means "the host decided not to apply this change": a no-op
    if (!Number.isSafeInteger(cc.nodeId) || cc.nodeId < 0) {
      throw new InvalidConfChangeError(`invalid node id ${cc.nodeId}`);
    }
    switch (cc.type) {
      case "addNode":
        makeVoter(t, cfg, cc.nodeId, lastIndex);
        break;
      case "addLearnerNode":
        makeLearner(t, cfg, cc.nodeId, lastIndex);
        break;
      case "removeNode":
        remove(cfg, cc.nodeId);
        break;
      default:
        throw new InvalidConfChangeError(`unexpected conf change type ${String((cc as ConfChange).type)}`);
    }
  }
  if (cfg.voters.size === 0) throw new InvalidConfChangeError("removed all voters");
  checkInvariants(cfg);
  return cfg;
}

/** Builds a config from scratch for a ConfState (on start or when a snapshot is restored). */
export function restoreConfig(t: ProgressTracker, cs: ConfState, lastIndex: number): TrackerConfig {
  const cfg: TrackerConfig = { voters: new Set(), learners: new Set(), progress: new Map() };
  for (const id of cs.voters) makeVoter(t, cfg, id, lastIndex);
  for (const id of cs.learners) {
    if (cfg.voters.has(id)) throw new InvalidConfChangeError(`${id} is listed as both voter and learner`);
    makeLearner(t, cfg, id, lastIndex);
  }
  checkInvariants(cfg);
  return cfg;
}
