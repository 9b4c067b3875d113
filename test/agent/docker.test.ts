/**
 * The node agent against a real, private dockerd started by the test.
 */
import { startDockerd } from "../lib/container-env.ts";
import { ensureTestImage } from "../lib/test-image.ts";
import { engine } from "./lib.ts";
import { agentSuite } from "./suite.ts";

agentSuite("docker", async () => {
  const d = await startDockerd();
  try {
    await ensureTestImage({ engine: "docker", env: d.env });
  } catch (e) {
    await d.stop();
    throw e;
  }
  return { engine: "docker", runtime: engine("docker", d.env), env: d.env, teardown: () => d.stop() };
});
