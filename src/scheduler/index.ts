/**
 * @module scheduler
 * The scheduler: places pods without spec.nodeName on nodes through pods/binding.
 * One instance serves the server for its lifetime; the controller manager starts it on
 * becoming leader and stops it on losing leadership (it restarts from a fresh cache).
 */
import type { Controller } from "../controllers/types.ts";
import { Scheduler, type SchedulerOptions } from "./scheduler.ts";

export { Scheduler, type SchedulerOptions } from "./scheduler.ts";

export function schedulerController(opts: SchedulerOptions = {}): Controller | null {
  return new Scheduler(opts);
}
