/**
 * The runtime contract against real podman (with this sandbox's containers.conf).
 */
import { PodmanRuntime } from "../../src/agent/runtime/podman.ts";
import { podmanTestEnv } from "../lib/container-env.ts";
import { ensureTestImage } from "../lib/test-image.ts";
import { runtimeSuite } from "./suite.ts";

runtimeSuite("podman", async () => {
  const p = podmanTestEnv();
  try {
    await ensureTestImage({ engine: "podman", env: p.env });
    return { runtime: new PodmanRuntime({ env: p.env }), teardown: async () => p.cleanup() };
  } catch (e) {
    p.cleanup();
    throw e;
  }
});
