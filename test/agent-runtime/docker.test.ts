/**
 * The runtime contract against a real, private dockerd (own socket, roots and bridge).
 */
import { DockerRuntime } from "../../src/agent/runtime/docker.ts";
import { startDockerd } from "../lib/container-env.ts";
import { ensureTestImage } from "../lib/test-image.ts";
import { runtimeSuite } from "./suite.ts";

runtimeSuite("docker", async () => {
  const d = await startDockerd();
  try {
    await ensureTestImage({ engine: "docker", env: d.env });
    return { runtime: new DockerRuntime({ env: d.env }), teardown: () => d.stop() };
  } catch (e) {
    await d.stop();
    throw e;
  }
});
