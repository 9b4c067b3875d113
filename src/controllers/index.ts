/**
 * @module controllers
 * Every controller kite runs on the elected server, plus the scheduler.
 */
import type { Controller } from "./types.ts";
import { workloadControllers } from "./workloads/index.ts";
import { clusterControllers } from "./cluster/index.ts";

export function builtinControllers(): (() => Controller)[] {
  return [...workloadControllers(), ...clusterControllers()];
}
