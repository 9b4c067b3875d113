/**
 * @module cli/config
 * Resolves the effective configuration of `kite server` / `kite agent` from, in order of
 * precedence: command-line flags, environment variables, the YAML config file, defaults.
 * Every problem is a ConfigError naming the flag, printed as one line by the CLI.
 */
import { existsSync, mkdirSync, readFileSync, accessSync, constants, writeFileSync, rmSync } from "node:fs";
import { hostname, networkInterfaces, homedir } from "node:os";
import { isIP } from "node:net";
import { join, resolve } from "node:path";
import YAML from "yaml";
import { FLAGS, camel, flagsFor, type FlagDef, type Role } from "./flags.ts";

export class ConfigError extends Error {
  constructor(readonly flag: string, message: string) {
    super(`invalid --${flag}: ${message}`);
    this.name = "ConfigError";
  }
}

export interface CommonConfig {
  debug: boolean;
  dataDir: string;
  nodeName: string;
  nodeIps: string[];
  nodeLabels: Record<string, string>;
  nodeTaints: { key: string; value?: string; effect: string }[];
  token?: string;
  server?: string;
  containerRuntime?: "podman" | "docker";
}

export interface ServerConfig extends CommonConfig {
  role: "server";
  bindAddress: string;
  httpsListenPort: number;
  advertiseAddress: string;
  tlsSans: string[];
  clusterInit: boolean;
  writeKubeconfig: string;
  writeKubeconfigMode: number;
  disableAgent: boolean;
  disableScheduler: boolean;
  disableControllerManager: boolean;
  nodeMonitorGracePeriod: number;
  defaultUnreachableTolerationSeconds: number;
}

export interface AgentConfig extends CommonConfig {
  role: "agent";
  server: string;
  token: string;
}

type Raw = Record<string, unknown>;

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

function envName(f: FlagDef) {
  return f.env ?? `KITE_${f.name.toUpperCase().replace(/-/g, "_")}`;
}

function coerce(f: FlagDef, v: unknown, source: string): unknown {
  if (v === undefined || v === null) return undefined;
  switch (f.type) {
    case "bool":
      if (typeof v === "boolean") return v;
      if (typeof v === "string" && /^(true|1|yes)$/i.test(v)) return true;
      if (typeof v === "string" && /^(false|0|no|)$/i.test(v)) return false;
      throw new ConfigError(f.name, `expected true or false from ${source}, got ${JSON.stringify(v)}`);
    case "int": {
      const n = typeof v === "number" ? v : Number(String(v));
      if (!Number.isInteger(n)) throw new ConfigError(f.name, `expected an integer from ${source}, got ${JSON.stringify(v)}`);
      return n;
    }
    case "list":
      if (Array.isArray(v)) return v.map(String).flatMap((s) => s.split(",")).map((s) => s.trim()).filter(Boolean);
      return String(v).split(",").map((s) => s.trim()).filter(Boolean);
    case "string":
      if (Array.isArray(v)) return String(v[v.length - 1]);
      return String(v);
  }
}

function loadConfigFile(path: string, explicit: boolean): Raw {
  if (!existsSync(path)) {
    if (explicit) throw new ConfigError("config", `file ${path} does not exist`);
    return {};
  }
  let doc: unknown;
  try {
    doc = YAML.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new ConfigError("config", `cannot parse ${path}: ${(e as Error).message.split("\n")[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) throw new ConfigError("config", `${path} must be a YAML mapping of flag names to values`);
  return doc as Raw;
}

/** Merge flags (parsed by cac), env and config file into one raw map keyed by flag name. */
export function mergeSources(role: Role, cliOpts: Raw, env: Record<string, string | undefined> = process.env): Raw {
  const defs = flagsFor(role);
  const cfgDef = FLAGS.find((f) => f.name === "config")!;
  const cliConfig = cliOpts[camel("config")];
  const envConfig = env[envName(cfgDef)];
  const cfgPath = (cliConfig ?? envConfig) as string | undefined;
  const file = loadConfigFile(cfgPath ?? "/etc/kite/config.yaml", cfgPath !== undefined);
  const known = new Set(defs.map((d) => d.name));
  for (const k of Object.keys(file)) {
    if (!known.has(k)) {
      const other = FLAGS.find((f) => f.name === k);
      if (other) continue; // a key for the other role (a shared config file) is fine
      throw new ConfigError("config", `unknown key ${JSON.stringify(k)} in ${cfgPath ?? "/etc/kite/config.yaml"}`);
    }
  }
  const out: Raw = {};
  for (const f of defs) {
    const key = camel(f.name);
    let v: unknown = coerce(f, file[f.name], "the config file");
    const ev = env[envName(f)];
    if (ev !== undefined && ev !== "") v = coerce(f, ev, `$${envName(f)}`);
    if (cliOpts[key] !== undefined) v = coerce(f, cliOpts[key], "the command line");
    if (v === undefined && f.default !== undefined) v = f.default;
    out[f.name] = v;
  }
  return out;
}

function defaultNodeIp(): string {
  const ifs = networkInterfaces();
  for (const list of Object.values(ifs)) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return "127.0.0.1";
}

function ensureDataDir(dir: string) {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, constants.W_OK | constants.R_OK);
    const probe = join(dir, `.write-test-${process.pid}`);
    writeFileSync(probe, "");
    rmSync(probe);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ConfigError("data-dir", `${dir} is not usable: ${err.code ?? err.message}`);
  }
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

function parseLabels(items: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const it of items) {
    const eq = it.indexOf("=");
    const k = eq < 0 ? it : it.slice(0, eq);
    const v = eq < 0 ? "" : it.slice(eq + 1);
    if (!LABEL_KEY.test(k)) throw new ConfigError("node-label", `${JSON.stringify(it)}: invalid label key`);
    if (!LABEL_VALUE.test(v)) throw new ConfigError("node-label", `${JSON.stringify(it)}: invalid label value`);
    out[k] = v;
  }
  return out;
}

function parseTaints(items: string[]) {
  return items.map((it) => {
    const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(it);
    if (!m) throw new ConfigError("node-taint", `${JSON.stringify(it)}: expected key[=value]:NoSchedule|PreferNoSchedule|NoExecute`);
    if (!LABEL_KEY.test(m[1]!)) throw new ConfigError("node-taint", `${JSON.stringify(it)}: invalid taint key`);
    return { key: m[1]!, ...(m[2] !== undefined ? { value: m[2] } : {}), effect: m[3]! };
  });
}

function readToken(raw: Raw): string | undefined {
  const t = raw["token"] as string | undefined;
  if (t) return t.trim();
  const file = raw["token-file"] as string | undefined;
  if (!file) return undefined;
  try {
    return readFileSync(file, "utf8").trim();
  } catch (e) {
    throw new ConfigError("token-file", `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function checkServerUrl(flag: string, url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(flag, `${JSON.stringify(url)} is not a URL (expected https://host:6443)`);
  }
  if (u.protocol !== "https:") throw new ConfigError(flag, `${JSON.stringify(url)} must start with https://`);
  return u.origin;
}

function common(raw: Raw, role: Role): CommonConfig {
  const dataDir = resolve((raw["data-dir"] as string | undefined) ?? (isRoot() ? "/var/lib/kite" : join(homedir(), ".kite")));
  ensureDataDir(dataDir);
  const nodeName = ((raw["node-name"] as string | undefined) ?? hostname()).toLowerCase();
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(nodeName)) throw new ConfigError("node-name", `${JSON.stringify(nodeName)} is not a valid DNS subdomain`);
  const ips = (raw["node-ip"] as string[] | undefined) ?? [];
  for (const ip of ips) if (!isIP(ip)) throw new ConfigError("node-ip", `${JSON.stringify(ip)} is not an IP address`);
  const rt = raw["container-runtime"] as string | undefined;
  if (rt !== undefined && rt !== "podman" && rt !== "docker") throw new ConfigError("container-runtime", `${JSON.stringify(rt)}: expected podman or docker`);
  return {
    debug: Boolean(raw["debug"]),
    dataDir,
    nodeName,
    nodeIps: ips.length ? ips : [defaultNodeIp()],
    nodeLabels: parseLabels((raw["node-label"] as string[] | undefined) ?? []),
    nodeTaints: parseTaints((raw["node-taint"] as string[] | undefined) ?? []),
    token: readToken(raw),
    server: checkServerUrl("server", raw["server"] as string | undefined),
    containerRuntime: rt as "podman" | "docker" | undefined,
  };
}

export function resolveServerConfig(cliOpts: Raw, env: Record<string, string | undefined> = process.env): ServerConfig {
  const raw = mergeSources("server", cliOpts, env);
  const port = raw["https-listen-port"] as number;
  if (port < 1 || port > 65535) throw new ConfigError("https-listen-port", `${port} is not a port (1-65535)`);
  const bind = raw["bind-address"] as string;
  if (!isIP(bind)) throw new ConfigError("bind-address", `${JSON.stringify(bind)} is not an IP address`);
  const modeStr = String(raw["write-kubeconfig-mode"]);
  if (!/^0?[0-7]{3}$/.test(modeStr)) throw new ConfigError("write-kubeconfig-mode", `${JSON.stringify(modeStr)} is not an octal file mode like 0600 or 644`);
  const c = common(raw, "server");
  const adv = (raw["advertise-address"] as string | undefined) ?? c.nodeIps[0]!;
  if (!isIP(adv)) throw new ConfigError("advertise-address", `${JSON.stringify(adv)} is not an IP address`);
  if (c.server && !c.token) throw new ConfigError("token", "a token is required to join a cluster with --server");
  const grace = raw["node-monitor-grace-period"] as number;
  if (grace < 1) throw new ConfigError("node-monitor-grace-period", "must be at least 1 second");
  const tol = raw["default-unreachable-toleration-seconds"] as number;
  if (tol < 0) throw new ConfigError("default-unreachable-toleration-seconds", "must not be negative");
  return {
    ...c,
    role: "server",
    bindAddress: bind,
    httpsListenPort: port,
    advertiseAddress: adv,
    tlsSans: (raw["tls-san"] as string[] | undefined) ?? [],
    clusterInit: Boolean(raw["cluster-init"]),
    writeKubeconfig: resolve((raw["write-kubeconfig"] as string | undefined) ?? (isRoot() ? "/etc/kite/kite.yaml" : join(c.dataDir, "kite.yaml"))),
    writeKubeconfigMode: parseInt(modeStr, 8),
    disableAgent: Boolean(raw["disable-agent"]),
    disableScheduler: Boolean(raw["disable-scheduler"]),
    disableControllerManager: Boolean(raw["disable-controller-manager"]),
    nodeMonitorGracePeriod: grace,
    defaultUnreachableTolerationSeconds: tol,
  };
}

export function resolveAgentConfig(cliOpts: Raw, env: Record<string, string | undefined> = process.env): AgentConfig {
  const raw = mergeSources("agent", cliOpts, env);
  const c = common(raw, "agent");
  if (!c.server) throw new ConfigError("server", "required: the URL of a kite server (https://host:6443), or set KITE_URL");
  if (!c.token) throw new ConfigError("token", "required: the cluster's join token (see `kite token` on a server), or set KITE_TOKEN");
  return { ...c, role: "agent", server: c.server, token: c.token };
}
