/**
 * @module agent/runtime/streams
 * Byte-stream plumbing around a CLI client process: merging stdout and stderr
 * (logs), exposing stdin as a WritableStream, and building exec/attach
 * sessions with or without a pseudo-terminal. Knows nothing about which
 * engine runs behind the CLI; the caller supplies `classify` to turn a failed
 * client into a typed error.
 */
import type { FileSink, Subprocess } from "bun";
import type { Cli } from "./cli.ts";
import type { StreamSession } from "./types.ts";

/** How many stderr bytes are kept to explain a failed client. */
const ERR_KEEP = 8192;

/**
 * Merges a process's stdout and stderr into one stream (arrival order). When
 * the process exits non-zero, the stream errors with `onFail(stderrTail)`;
 * cancelling the stream kills the process.
 */
export function mergedOutput(
  proc: Subprocess,
  onFail: (exitCode: number, stderrTail: string) => Error,
): ReadableStream<Uint8Array> {
  const out = proc.stdout as ReadableStream<Uint8Array>;
  const err = proc.stderr as ReadableStream<Uint8Array>;
  let errTail = "";
  let cancelled = false;
  const dec = new TextDecoder();
  // Backpressure: each pump reads the next chunk only when the consumer has room
  // (desiredSize > 0), so a slow reader (`kubectl logs -f` on a slow link) makes the CLI
  // block on its pipe instead of the agent buffering without bound.
  const waiting: (() => void)[] = [];
  const wakeAll = () => {
    for (const w of waiting.splice(0)) w();
  };
  const room = (controller: ReadableStreamDefaultController<Uint8Array>) =>
    (controller.desiredSize ?? 1) > 0 || cancelled ? Promise.resolve() : new Promise<void>((r) => waiting.push(r));
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const pump = async (s: ReadableStream<Uint8Array>, keep: boolean) => {
          const r = s.getReader();
          for (;;) {
            await room(controller);
            if (cancelled) return;
            const { done, value } = await r.read();
            if (done) return;
            if (keep) errTail = (errTail + dec.decode(value, { stream: true })).slice(-ERR_KEEP);
            try {
              controller.enqueue(value);
            } catch {
              return; // cancelled
            }
          }
        };
        Promise.all([pump(out, false), pump(err, true), proc.exited]).then(
          ([, , code]) => {
            try {
              if (code === 0 || cancelled) controller.close();
              else controller.error(onFail(code, errTail));
            } catch {
              /* already cancelled */
            }
          },
          (e) => {
            try {
              controller.error(e);
            } catch {
              /* already cancelled */
            }
          },
        );
      },
      pull() {
        wakeAll();
      },
      cancel() {
        cancelled = true;
        wakeAll();
        proc.kill("SIGKILL");
      },
    },
    new CountQueuingStrategy({ highWaterMark: 16 }),
  );
}

/** A WritableStream over a FileSink (Bun's pipe stdin); close() sends EOF. */
export function sinkWritable(sink: FileSink): WritableStream<Uint8Array> {
  return new WritableStream<Uint8Array>({
    async write(chunk) {
      sink.write(chunk);
      await sink.flush();
    },
    async close() {
      await sink.end();
    },
    async abort() {
      try {
        await sink.end();
      } catch {
        /* ignore */
      }
    },
  });
}

/** Copies a stream through while keeping its last ERR_KEEP bytes as text. */
function teeTail(s: ReadableStream<Uint8Array>): { stream: ReadableStream<Uint8Array>; tail: () => string } {
  let tail = "";
  const dec = new TextDecoder();
  const stream = s.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, c) {
        tail = (tail + dec.decode(chunk, { stream: true })).slice(-ERR_KEEP);
        c.enqueue(chunk);
      },
    }),
  );
  return { stream, tail: () => tail };
}

export interface SessionSpec {
  cli: Cli;
  args: string[];
  stdin: boolean;
  tty: boolean;
  size?: { cols: number; rows: number };
  /**
   * Called for a non-zero exit with the client's code and stderr tail (empty
   * when nobody read stderr): an Error when the engine (not the command)
   * failed; null means the code is the command's own.
   */
  classify: (exitCode: number, stderrTail: string) => Promise<Error | null>;
}

/** Runs an exec/attach client and exposes it as a StreamSession. */
export function startSession(s: SessionSpec): StreamSession {
  if (s.tty) return ttySession(s);
  const proc = s.cli.spawn(s.args, { stdin: s.stdin });
  const errT = teeTail(proc.stderr as ReadableStream<Uint8Array>);
  const exited = proc.exited.then(async (code) => {
    const failure = code === 0 ? null : await s.classify(code, errT.tail());
    if (failure) throw failure;
    return code;
  });
  exited.catch(() => {}); // the caller may not await it; errors stay observable through `exited`
  return {
    stdin: s.stdin ? sinkWritable(proc.stdin as FileSink) : null,
    stdout: proc.stdout as ReadableStream<Uint8Array>,
    stderr: errT.stream,
    exited,
    resize() {},
    close() {
      proc.kill("SIGKILL");
    },
  };
}

function ttySession(s: SessionSpec): StreamSession {
  let ctl!: ReadableStreamDefaultController<Uint8Array>;
  let tail = "";
  const dec = new TextDecoder();
  let closed = false;
  const finish = () => {
    if (closed) return;
    closed = true;
    try {
      ctl.close();
    } catch {
      /* cancelled */
    }
  };
  const stdout = new ReadableStream<Uint8Array>({
    start(c) {
      ctl = c;
    },
    cancel() {
      closed = true;
      proc.kill("SIGKILL");
    },
  });
  const terminal = new Bun.Terminal({
    cols: s.size?.cols ?? 80,
    rows: s.size?.rows ?? 24,
    data(_t, data) {
      tail = (tail + dec.decode(data, { stream: true })).slice(-ERR_KEEP);
      if (!closed) ctl.enqueue(data);
    },
    exit() {
      finish();
    },
  });
  const proc = s.cli.spawn(s.args, { terminal });
  const exited = proc.exited.then(async (code) => {
    // Give the PTY a moment to deliver the last bytes, then end the stream.
    await Bun.sleep(20);
    finish();
    terminal.close();
    const failure = code === 0 ? null : await s.classify(code, tail);
    if (failure) throw failure;
    return code;
  });
  exited.catch(() => {});
  const stdin = s.stdin
    ? new WritableStream<Uint8Array>({
        write(chunk) {
          if (!terminal.closed) terminal.write(chunk);
        },
        close() {
          // EOF on a terminal is ^D at the start of a line.
          if (!terminal.closed) terminal.write(new Uint8Array([4]));
        },
      })
    : null;
  return {
    stdin,
    stdout,
    stderr: null,
    exited,
    resize(cols, rows) {
      if (!terminal.closed) terminal.resize(cols, rows);
    },
    close() {
      proc.kill("SIGKILL");
    },
  };
}
