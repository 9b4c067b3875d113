/**
 * @module scheduler/profile
 * The default profile: filters in upstream's order (the first failing one names a node's
 * reason, so the order shapes the FailedScheduling message) and scores with upstream's
 * weights: TaintToleration 3, NodeAffinity 2, NodeResourcesFit (LeastAllocated) 1,
 * PodTopologySpread 2, InterPodAffinity 2, NodeResourcesBalancedAllocation 1.
 */
import type { Profile } from "./algorithm.ts";
import type { FilterPlugin, ScorePlugin } from "./framework.ts";
import { interPodAffinityFilter, interPodAffinityScore } from "./plugins/inter-pod-affinity.ts";
import { nodeAffinityFilter, nodeAffinityScore } from "./plugins/node-affinity.ts";
import { nodePorts } from "./plugins/node-ports.ts";
import { balancedAllocation, leastAllocated, nodeResourcesFit } from "./plugins/node-resources.ts";
import { nodeUnschedulable } from "./plugins/node-unschedulable.ts";
import { podTopologySpreadFilter, podTopologySpreadScore, type SpreadOptions } from "./plugins/pod-topology-spread.ts";
import { taintTolerationFilter, taintTolerationScore } from "./plugins/taint-toleration.ts";
import type { VolumeBinding } from "./plugins/volume-binding.ts";

export interface ProfileDeps extends SpreadOptions {
  volumeBinding?: VolumeBinding;
  percentageOfNodesToScore?: number;
}

export function defaultProfile(deps: ProfileDeps): Profile {
  const filters: FilterPlugin[] = [nodeUnschedulable, taintTolerationFilter, nodeAffinityFilter, nodePorts, nodeResourcesFit];
  if (deps.volumeBinding) filters.push(deps.volumeBinding);
  filters.push(podTopologySpreadFilter, interPodAffinityFilter);
  const scores: ScorePlugin[] = [taintTolerationScore, nodeAffinityScore, leastAllocated, podTopologySpreadScore(deps), interPodAffinityScore(), balancedAllocation];
  return { filters, scores, percentageOfNodesToScore: deps.percentageOfNodesToScore };
}
