/**
 * @module scheduler/plugins/normalize
 * helper.DefaultNormalizeScore: scale scores to 0..100 by the maximum (reversed: 100 - x).
 */
import { MAX_NODE_SCORE } from "../framework.ts";

export function defaultNormalize(scores: number[], reverse: boolean) {
  let max = 0;
  for (const s of scores) if (s > max) max = s;
  if (max === 0) {
    if (reverse) scores.fill(MAX_NODE_SCORE);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    let s = Math.trunc((MAX_NODE_SCORE * scores[i]!) / max);
    if (reverse) s = MAX_NODE_SCORE - s;
    scores[i] = s;
  }
}
