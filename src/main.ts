#!/usr/bin/env bun
/**
 * @module main
 * The `kite` command line: `server`, `agent`, `kubectl`, `token`, `version`.
 * Flags come from src/cli/flags.ts; configuration is resolved by src/cli/config.ts.
 */
import "reflect-metadata"; // before @peculiar/x509 (tsyringe) is loaded anywhere in the bundle
import { cac } from "cac";
import { FLAGS, flagsFor, type Role } from "./cli/flags.ts";
import { ConfigError } from "./cli/config.ts";
import { KITE_VERSION, KUBE_GIT_VERSION } from "./version.ts";

function registerFlags(cmd: ReturnType<ReturnType<typeof cac>["command"]>, role: Role) {
  for (const f of flagsFor(role)) {
    if (f.hidden) continue;
    const name = f.type === "bool" ? `--${f.name}` : f.type === "list" ? `--${f.name} <value>` : `--${f.name} <value>`;
    const raw = f.short ? `-${f.short}, ${name}` : name;
    const env = f.env ? ` [$${f.env}]` : "";
    const def = f.defaultText ?? (f.default !== undefined && f.type !== "bool" ? String(f.default) : undefined);
    cmd.option(raw, `${f.help}${def ? ` (default: ${def})` : ""}${env}`, f.type === "list" ? { type: [String] } : f.type === "string" ? { type: [String] } : undefined);
  }
}

function fail(message: string): never {
  process.stderr.write(`kite: ${message}\n`);
  process.exit(1);
}

async function main(argv: string[]) {
  // `kite kubectl ...` passes every argument through untouched (like `k3s kubectl`).
  if (argv[0] === "kubectl") {
    const { runKubectl } = await import("./cli/kubectl.ts");
    process.exit(await runKubectl(argv.slice(1)));
  }

  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) argv = ["version"];
  const cli = cac("kite");

  const server = cli.command("server", "Run the control plane (API server, store, scheduler, controllers) and, unless disabled, an agent");
  registerFlags(server, "server");
  server.action(async (opts: Record<string, unknown>) => {
    const { resolveServerConfig } = await import("./cli/config.ts");
    const cfg = resolveServerConfig(opts);
    const { runServer } = await import("./server/server.ts");
    await runServer(cfg);
  });

  const agent = cli.command("agent", "Run a node agent that joins a cluster and runs its pods with podman or docker");
  registerFlags(agent, "agent");
  agent.action(async (opts: Record<string, unknown>) => {
    const { resolveAgentConfig } = await import("./cli/config.ts");
    const cfg = resolveAgentConfig(opts);
    const { runAgentProcess } = await import("./agent/main.ts");
    await runAgentProcess(cfg);
  });

  const token = cli.command("token", "Print the join token of the server whose data dir is given");
  token.option("-d, --data-dir <dir>", "Folder holding the server's state (default: /var/lib/kite as root, ~/.kite otherwise)", { type: [String] });
  token.action(async (opts: Record<string, unknown>) => {
    const { printToken } = await import("./cli/token.ts");
    await printToken(opts);
  });

  cli.command("kubectl [...args]", "Run kubectl with KUBECONFIG set to the admin kubeconfig when unset");

  cli.command("version", "Print the version").action(() => {
    process.stdout.write(`kite version v${KITE_VERSION} (${KUBE_GIT_VERSION})\nbun ${Bun.version}\n`);
  });

  cli.help();

  try {
    cli.parse(["kite", "kite", ...argv], { run: false });
    if (!cli.matchedCommand && cli.args.length > 0) fail(`unknown command ${JSON.stringify(cli.args[0])}; see kite --help`);
    if (!cli.matchedCommand && !cli.options.help && !cli.options.version) {
      cli.outputHelp();
      return;
    }
    await cli.runMatchedCommand();
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    const err = e as Error;
    if (err?.name === "CACError") fail(err.message.replace(/`/g, ""));
    fail(err?.message ?? String(e));
  }
}

void FLAGS;
await main(process.argv.slice(2));
