/**
 * The node agent against real podman (the sandbox's containers.conf: runc, cgroupfs).
 */
import { podmanTestEnv } from "../lib/container-env.ts";
import { ensureTestImage } from "../lib/test-image.ts";
import { engine } from "./lib.ts";
import { agentSuite } from "./suite.ts";

agentSuite("podman", async () => {
  const p = podmanTestEnv();
  await ensureTestImage({ engine: "podman", env: p.env });
  return { engine: "podman", runtime: engine("podman", p.env), env: p.env, teardown: async () => p.cleanup() };
});
