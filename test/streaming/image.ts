/**
 * @module test/streaming/image
 * The image the streaming tests run: the shared busybox test image's applets plus `tar`
 * (kubectl cp runs tar in the container), built without a registry from the host's static
 * busybox and reused while its recipe label matches.
 */
import { Cli } from "../../src/agent/runtime/cli.ts";
import { type TarEntry, tar } from "../../src/agent/runtime/tar.ts";
import { TEST_IMAGE_APPLETS } from "../lib/test-image.ts";

export const STREAMING_IMAGE = "localhost/kite-test/busybox-streaming:1";
const RECIPE_LABEL = "io.kite.test-image.recipe";
const APPLETS = [...new Set([...TEST_IMAGE_APPLETS, "tar", "stty", "tty", "sh"])];

let built: Promise<{ tarball: Uint8Array; recipe: string }> | null = null;

async function rootfs() {
  const bb = new Uint8Array(await Bun.file("/bin/busybox").arrayBuffer());
  const entries: TarEntry[] = [
    { type: "dir", path: "bin" },
    { type: "dir", path: "etc" },
    { type: "dir", path: "tmp", mode: 0o1777 },
    { type: "dir", path: "www" },
    { type: "file", path: "www/index.html", data: new TextEncoder().encode("hello from the pod\n") },
    { type: "file", path: "bin/busybox", data: bb, mode: 0o755 },
    { type: "file", path: "etc/passwd", data: new TextEncoder().encode("root:x:0:0:root:/root:/bin/sh\n") },
    { type: "file", path: "etc/group", data: new TextEncoder().encode("root:x:0:\n") },
    ...APPLETS.map((a): TarEntry => ({ type: "symlink", path: `bin/${a}`, target: "busybox" })),
  ];
  const h = new Bun.CryptoHasher("sha256");
  h.update(bb);
  h.update(APPLETS.join(","));
  h.update("streaming-v1");
  return { tarball: tar(entries), recipe: h.digest("hex").slice(0, 16) };
}

export async function ensureStreamingImage(engine: "podman" | "docker", env: Record<string, string>): Promise<string> {
  const cli = new Cli(engine, engine, env, 60_000);
  built ??= rootfs();
  const { tarball, recipe } = await built;
  const have = await cli.run(["image", "inspect", "--format", `{{index .Config.Labels "${RECIPE_LABEL}"}}`, STREAMING_IMAGE]);
  if (have.exitCode === 0 && have.stdout.trim() === recipe) return STREAMING_IMAGE;
  await cli.ok(["import", "--change", `LABEL ${RECIPE_LABEL}=${recipe}`, "--change", 'CMD ["sh"]', "-", STREAMING_IMAGE], { stdin: tarball });
  return STREAMING_IMAGE;
}
