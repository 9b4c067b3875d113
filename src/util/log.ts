/**
 * @module util/log
 * Leveled logger writing one line per record to stderr, in logfmt-ish form:
 * `2026-11-27T19:41:25.123Z INFO  component message key=value`.
 */
export type Level = "debug" | "info" | "warn" | "error";
const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
let threshold = order.info;

export function setLogLevel(level: Level) {
  threshold = order[level];
}
export function isDebug() {
  return threshold <= order.debug;
}

function fmtValue(v: unknown): string {
  if (v instanceof Error) return JSON.stringify(v.message);
  if (typeof v === "string") return /[\s"=]/.test(v) || v === "" ? JSON.stringify(v) : v;
  return JSON.stringify(v);
}

export class Logger {
  constructor(readonly component: string) {}
  child(sub: string) {
    return new Logger(`${this.component}/${sub}`);
  }
  private write(level: Level, msg: string, kv?: Record<string, unknown>) {
    if (order[level] < threshold) return;
    let line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${this.component} ${msg}`;
    if (kv) for (const [k, v] of Object.entries(kv)) if (v !== undefined) line += ` ${k}=${fmtValue(v)}`;
    process.stderr.write(line + "\n");
  }
  debug(msg: string, kv?: Record<string, unknown>) {
    this.write("debug", msg, kv);
  }
  info(msg: string, kv?: Record<string, unknown>) {
    this.write("info", msg, kv);
  }
  warn(msg: string, kv?: Record<string, unknown>) {
    this.write("warn", msg, kv);
  }
  error(msg: string, kv?: Record<string, unknown>) {
    this.write("error", msg, kv);
  }
}

export function logger(component: string) {
  return new Logger(component);
}
