/**
 * @module scheduler
 * The scheduler: places pods without spec.nodeName on nodes through pods/binding.
 */
import type { Controller } from "../controllers/types.ts";

export function schedulerController(): Controller | null {
  return null;
}
