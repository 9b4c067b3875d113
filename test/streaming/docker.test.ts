/**
 * Streaming subresources end to end over a real, private dockerd.
 */
import { DockerRuntime } from "../../src/agent/runtime/docker.ts";
import { startDockerd } from "../lib/container-env.ts";
import { ensureStreamingImage } from "./image.ts";
import { streamingSuite } from "./suite.ts";

streamingSuite("docker", async () => {
  const d = await startDockerd();
  try {
    await ensureStreamingImage("docker", d.env);
    return { runtime: new DockerRuntime({ env: d.env }), teardown: () => d.stop() };
  } catch (e) {
    await d.stop();
    throw e;
  }
});
