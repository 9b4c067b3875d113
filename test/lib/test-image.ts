/**
 * @module test/lib/test-image
 * The test image `localhost/kite-test/busybox:1`, built without a registry
 * from the host's static /bin/busybox (busybox-static) and imported into
 * podman or a given docker host. The image carries a recipe label: an
 * existing image built from the same recipe is reused (one `image inspect`,
 * ~30 ms), an older one is rebuilt in place.
 */
import { Cli } from "../../src/agent/runtime/cli.ts";
import { type TarEntry, tar } from "../../src/agent/runtime/tar.ts";

export const TEST_IMAGE = "localhost/kite-test/busybox:1";

export const TEST_IMAGE_APPLETS = [
  "sh", "ls", "cat", "echo", "sleep", "wget", "httpd", "nc", "hostname", "env", "touch", "rm", "test", "true",
  "false", "id", "mkdir", "grep", "ps", "kill", "date", "seq", "head", "tail", "[", "printf", "dd", "stat", "wc",
  "sort", "sed", "tr", "chmod", "ln", "pwd", "which", "ip", "ifconfig", "nslookup", "top", "df", "mount", "dmesg",
  "yes", "timeout", "xargs", "cut", "basename", "dirname", "uname", "whoami",
];

const RECIPE_LABEL = "io.kite.test-image.recipe";
const BUSYBOX = "/bin/busybox";

async function rootfs(): Promise<{ tarball: Uint8Array; recipe: string }> {
  const bb = new Uint8Array(await Bun.file(BUSYBOX).arrayBuffer());
  const entries: TarEntry[] = [
    { type: "dir", path: "bin" },
    { type: "dir", path: "etc" },
    { type: "dir", path: "tmp", mode: 0o1777 },
    { type: "dir", path: "root", mode: 0o700 },
    { type: "file", path: "bin/busybox", data: bb, mode: 0o755 },
    { type: "file", path: "etc/passwd", data: new TextEncoder().encode("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n") },
    { type: "file", path: "etc/group", data: new TextEncoder().encode("root:x:0:\nnogroup:x:65534:\n") },
    ...TEST_IMAGE_APPLETS.map((a): TarEntry => ({ type: "symlink", path: `bin/${a}`, target: "busybox" })),
  ];
  const hasher = new Bun.CryptoHasher("sha256");
  hasher.update(bb);
  hasher.update(TEST_IMAGE_APPLETS.join(","));
  hasher.update("v2");
  return { tarball: tar(entries), recipe: hasher.digest("hex").slice(0, 16) };
}

let cached: Promise<{ tarball: Uint8Array; recipe: string }> | null = null;

export interface TestImageOptions {
  engine: "podman" | "docker";
  /** Environment for the CLI: CONTAINERS_CONF for podman, DOCKER_HOST for a private dockerd. */
  env?: Record<string, string | undefined>;
}

/** Makes sure the engine has the test image from the current recipe; resolves with its name. */
export async function ensureTestImage(opts: TestImageOptions): Promise<string> {
  const cli = new Cli(opts.engine, opts.engine, opts.env ?? {}, 60_000);
  cached ??= rootfs();
  const { tarball, recipe } = await cached;
  const have = await cli.run(["image", "inspect", "--format", `{{index .Config.Labels "${RECIPE_LABEL}"}}`, TEST_IMAGE]);
  if (have.exitCode === 0 && have.stdout.trim() === recipe) return TEST_IMAGE;
  await cli.ok(
    ["import", "--change", `LABEL ${RECIPE_LABEL}=${recipe}`, "--change", 'CMD ["sh"]', "-", TEST_IMAGE],
    { stdin: tarball },
  );
  return TEST_IMAGE;
}
