/**
 * detectRuntime against the real CLIs: podman works here; docker's CLI is
 * installed but its daemon is unreachable unless a test starts one.
 */
import { afterAll, expect, test } from "bun:test";
import { detectRuntime } from "../../src/agent/runtime/detect.ts";
import { RuntimeUnavailableError } from "../../src/agent/runtime/types.ts";
import { podmanTestEnv } from "../lib/container-env.ts";

const p = podmanTestEnv();
afterAll(() => p.cleanup());
const noDocker = { DOCKER_HOST: `unix:///tmp/kite-no-such-docker-${process.pid}.sock` };

test("no preference: podman first", async () => {
  const { runtime, info } = await detectRuntime(undefined, { env: p.env });
  expect(runtime.name).toBe("podman");
  expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
});

test("preferred docker without a daemon falls back to podman, or fails when strict", async () => {
  const { runtime } = await detectRuntime("docker", { env: { ...p.env, ...noDocker } });
  expect(runtime.name).toBe("podman");
  const err = await detectRuntime("docker", { strict: true, env: noDocker }).catch((e) => e);
  expect(err).toBeInstanceOf(RuntimeUnavailableError);
  expect(err.message).toMatch(/docker/);
});

test("nothing works → RuntimeUnavailableError naming each engine", async () => {
  const err = await detectRuntime(undefined, {
    env: noDocker,
    binaries: { podman: "/nonexistent/podman" },
  }).catch((e) => e);
  expect(err).toBeInstanceOf(RuntimeUnavailableError);
  expect(err.message).toMatch(/podman: .*docker: /);
});
