/**
 * Streaming subresources end to end over real podman (this sandbox's containers.conf),
 * with the kubectl version matrix (docker.test.ts runs the core set).
 */
import { PodmanRuntime } from "../../src/agent/runtime/podman.ts";
import { podmanTestEnv } from "../lib/container-env.ts";
import { ensureStreamingImage } from "./image.ts";
import { streamingSuite } from "./suite.ts";

streamingSuite("podman", async () => {
  const p = podmanTestEnv();
  try {
    await ensureStreamingImage("podman", p.env);
    return { runtime: new PodmanRuntime({ env: p.env }), teardown: async () => p.cleanup() };
  } catch (e) {
    p.cleanup();
    throw e;
  }
}, { versions: true });
