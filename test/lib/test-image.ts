/**
 * @module test/lib/test-image
 * The test image `localhost/kite-test/busybox:1`, built without a registry
 * from the host's static /bin/busybox (busybox-static) and imported into
 * podman or a given docker host. The image carries a recipe label: an
 * existing image built from the same recipe is reused (one `image inspect`,
 * ~30 ms), an older one is rebuilt in place. Other tags (`tag: "2"`) are the same
 * applets plus /etc/kite-test-version holding the tag, so a rollout from :1 to :2
 * really changes the image (a different image ID).
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

async function rootfs(tag = "1"): Promise<{ tarball: Uint8Array; recipe: string }> {
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
  // Tag 1 keeps its original recipe (no version file) so existing images stay valid.
  if (tag !== "1") entries.push({ type: "file", path: "etc/kite-test-version", data: new TextEncoder().encode(`${tag}\n`) });
  const hasher = new Bun.CryptoHasher("sha256");
  hasher.update(bb);
  hasher.update(TEST_IMAGE_APPLETS.join(","));
  hasher.update("v2");
  if (tag !== "1") hasher.update(`tag:${tag}`);
  return { tarball: tar(entries), recipe: hasher.digest("hex").slice(0, 16) };
}

const cached = new Map<string, Promise<{ tarball: Uint8Array; recipe: string }>>();

export interface TestImageOptions {
  engine: "podman" | "docker";
  /** Environment for the CLI: CONTAINERS_CONF for podman, DOCKER_HOST for a private dockerd. */
  env?: Record<string, string | undefined>;
  /** Image tag (default "1"); see the module comment for what other tags contain. */
  tag?: string;
}

/** Name of the test image with a given tag. */
export function testImage(tag = "1"): string {
  return `localhost/kite-test/busybox:${tag}`;
}

/** Makes sure the engine has the test image from the current recipe; resolves with its name. */
export async function ensureTestImage(opts: TestImageOptions): Promise<string> {
  const cli = new Cli(opts.engine, opts.engine, opts.env ?? {}, 60_000);
  const tag = opts.tag ?? "1";
  const image = testImage(tag);
  let built = cached.get(tag);
  if (!built) cached.set(tag, (built = rootfs(tag)));
  const { tarball, recipe } = await built;
  const have = await cli.run(["image", "inspect", "--format", `{{index .Config.Labels "${RECIPE_LABEL}"}}`, image]);
  if (have.exitCode === 0 && have.stdout.trim() === recipe) return image;
  await cli.ok(
    ["import", "--change", `LABEL ${RECIPE_LABEL}=${recipe}`, "--change", 'CMD ["sh"]', "-", image],
    { stdin: tarball },
  );
  return image;
}
