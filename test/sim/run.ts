/**
 * @module sim/run
 * Command line for the deterministic simulation (`bun run sim -- ...`):
 *   --seed S           replay one seed (prints its options, stats and, on failure, the trace)
 *   --seeds N          run N seeds starting at --from (default: a random base, printed)
 *   --from F           first seed for --seeds
 *   --canary NAME      run with a deliberate bug (send-before-persist | skip-election-restriction |
 *                      unsafe-read-index)
 *   --fsm mvcc|tiny, --storage sqlite|memory   force a swarm option
 * Exits 1 if any seed fails; every failure prints the command that replays it.
 */
import { parseArgs } from "node:util";
import type { Canary, SimOptions } from "./options.ts";
import { describeOptions, runSimulation } from "./simulation.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    seed: { type: "string" },
    seeds: { type: "string" },
    from: { type: "string" },
    canary: { type: "string" },
    fsm: { type: "string" },
    storage: { type: "string" },
    quiet: { type: "boolean", default: false },
  },
});

const overrides: Partial<SimOptions> = {};
if (values.canary !== undefined) overrides.canary = values.canary as Canary;
if (values.fsm !== undefined) overrides.fsm = values.fsm as SimOptions["fsm"];
if (values.storage !== undefined) overrides.storage = values.storage as SimOptions["storage"];
const extra = [
  values.canary !== undefined ? `--canary ${values.canary}` : "",
  values.fsm !== undefined ? `--fsm ${values.fsm}` : "",
  values.storage !== undefined ? `--storage ${values.storage}` : "",
]
  .filter((s) => s !== "")
  .join(" ");

function replayCommand(seed: number): string {
  return `bun run sim -- --seed ${seed}${extra === "" ? "" : ` ${extra}`}`;
}

if (values.seed !== undefined) {
  const seed = Number(values.seed);
  const r = runSimulation(seed, overrides);
  console.log(describeOptions(r.options));
  console.log(`stats: ${JSON.stringify(r.stats)}`);
  console.log(`wall time: ${r.wallMs.toFixed(0)} ms`);
  if (!r.ok) {
    console.log("--- trace (last lines) ---");
    for (const line of r.trace) console.log(line);
    console.log(`FAIL seed ${seed}: ${r.failure!.kind} at ${r.failure!.atMs.toFixed(1)}ms: ${r.failure!.message}`);
    console.log(`replay: ${replayCommand(seed)}`);
    process.exit(1);
  }
  console.log(`ok seed ${seed}`);
  process.exit(0);
}

const count = Number(values.seeds ?? "100");
const from = values.from !== undefined ? Number(values.from) : Math.floor(Math.random() * 2 ** 31);
console.log(`running ${count} seeds from ${from}${extra === "" ? "" : ` (${extra})`}`);
const t0 = performance.now();
let failures = 0;
for (let i = 0; i < count; i++) {
  const seed = from + i;
  const r = runSimulation(seed, overrides);
  if (!r.ok) {
    failures++;
    console.log(`FAIL seed ${seed}: ${r.failure!.kind}: ${r.failure!.message.split("\n")[0]}`);
    console.log(`  ${describeOptions(r.options)}`);
    console.log(`  replay: ${replayCommand(seed)}`);
  } else if (!values.quiet && (i + 1) % 100 === 0) {
    console.log(`${i + 1}/${count} seeds, ${failures} failures, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
}
console.log(`${count} seeds from ${from}: ${failures} failures in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
process.exit(failures > 0 ? 1 : 0);
