import { describe, expect, test } from "bun:test";
import { Cli } from "./cli.ts";
import { mergedOutput, startSession } from "./streams.ts";

const sh = new Cli("test", "/bin/sh");
const text = (s: ReadableStream<Uint8Array> | null) => new Response(s).text();

describe("mergedOutput", () => {
  test("carries stdout and stderr, closes on exit 0", async () => {
    const out = await text(mergedOutput(sh.spawn(["-c", "echo out; sleep 0.05; echo err >&2"]), () => new Error("no")));
    expect(out).toBe("out\nerr\n");
  });

  test("errors with onFail(code, stderr tail) on a non-zero exit", async () => {
    const s = mergedOutput(sh.spawn(["-c", "echo partial; echo 'Error: boom' >&2; exit 3"]), (code, tail) => new Error(`${code}:${tail.trim()}`));
    await expect(text(s)).rejects.toThrow("3:Error: boom");
  });

  test("cancel kills the process", async () => {
    const proc = sh.spawn(["-c", "exec sleep 30"]);
    const s = mergedOutput(proc, () => new Error("x"));
    await s.cancel();
    expect(await Promise.race([proc.exited, Bun.sleep(3000).then(() => "alive")])).not.toBe("alive");
  });
});

describe("startSession", () => {
  test("pipes stdin through and reports the exit code; classify only sees failures", async () => {
    const seen: number[] = [];
    const s = startSession({
      cli: sh,
      args: ["-c", "cat; exit 4"],
      stdin: true,
      tty: false,
      classify: async (code) => {
        seen.push(code);
        return null;
      },
    });
    const w = s.stdin!.getWriter();
    await w.write(new TextEncoder().encode("abc\n"));
    await w.close();
    expect(await text(s.stdout)).toBe("abc\n");
    expect(await s.exited).toBe(4);
    expect(seen).toEqual([4]);
  });

  test("a classified failure rejects `exited`", async () => {
    const s = startSession({
      cli: sh,
      args: ["-c", "echo 'Error: not running' >&2; exit 125"],
      stdin: false,
      tty: false,
      classify: async (code, tail) => (code === 125 ? new Error(`engine: ${tail.trim()}`) : null),
    });
    expect(s.stdin).toBeNull();
    expect(await text(s.stderr)).toContain("not running");
    await expect(s.exited).rejects.toThrow("engine: Error: not running");
  });

  test("tty: the command sees a terminal of the requested size, and resize reaches it", async () => {
    const s = startSession({
      cli: sh,
      args: ["-c", "test -t 0 && echo IS-TTY; stty size; read x; stty size"],
      stdin: true,
      tty: true,
      size: { cols: 91, rows: 17 },
      classify: async () => null,
    });
    expect(s.stderr).toBeNull();
    const chunks: string[] = [];
    const reader = s.stdout.getReader();
    const dec = new TextDecoder();
    const readUntil = async (re: RegExp) => {
      while (!re.test(chunks.join(""))) {
        const r = await reader.read();
        if (r.done) break;
        chunks.push(dec.decode(r.value));
      }
    };
    await readUntil(/17 91/);
    s.resize(100, 30);
    await s.stdin!.getWriter().write(new TextEncoder().encode("go\n"));
    await readUntil(/30 100/);
    expect(chunks.join("")).toContain("IS-TTY");
    expect(await s.exited).toBe(0);
  });
});
