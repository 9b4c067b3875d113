/**
 * @module server/signals
 * SIGTERM/SIGINT: first signal starts a graceful shutdown bounded by `timeoutMs`; a second
 * signal exits at once.
 */
import { logger } from "../util/log.ts";

const log = logger("signals");

export function onShutdownSignals(shutdown: () => Promise<void>, timeoutMs = 10_000) {
  let stopping = false;
  const handler = (sig: NodeJS.Signals) => {
    if (stopping) {
      log.warn("second signal, exiting now", { signal: sig });
      process.exit(1);
    }
    stopping = true;
    log.info("shutting down", { signal: sig });
    const timer = setTimeout(() => {
      log.error("shutdown took too long, exiting", { timeoutMs });
      process.exit(1);
    }, timeoutMs);
    shutdown()
      .then(() => {
        clearTimeout(timer);
        process.exit(0);
      })
      .catch((e) => {
        log.error("shutdown failed", { error: e });
        process.exit(1);
      });
  };
  process.on("SIGTERM", handler);
  process.on("SIGINT", handler);
}
