/**
 * @module cli/flags
 * The one table of command-line flags. Each flag is also settable by an environment
 * variable and by a key of the YAML config file (`--config`), like k3s. The CLI parser,
 * the config loader, `--help` and the README's flag reference are all built from it.
 */
export type FlagType = "string" | "bool" | "int" | "list";
export type Role = "server" | "agent";

export interface FlagDef {
  name: string;
  short?: string;
  type: FlagType;
  env?: string;
  help: string;
  roles: Role[];
  /** Default value, shown in --help; computed defaults are filled in by config.ts. */
  default?: string | number | boolean;
  defaultText?: string;
  /** Hidden from --help (internal/test tuning). */
  hidden?: boolean;
}

export const FLAGS: FlagDef[] = [
  { name: "config", short: "c", type: "string", env: "KITE_CONFIG_FILE", roles: ["server", "agent"], help: "Load flags from this YAML file (every flag is a key)", defaultText: "/etc/kite/config.yaml" },
  { name: "debug", type: "bool", env: "KITE_DEBUG", roles: ["server", "agent"], help: "Log at debug level (every API request is logged)" },
  { name: "data-dir", short: "d", type: "string", env: "KITE_DATA_DIR", roles: ["server", "agent"], help: "Folder to hold state", defaultText: "/var/lib/kite as root, ~/.kite otherwise" },
  { name: "bind-address", type: "string", env: "KITE_BIND_ADDRESS", roles: ["server"], help: "Address the server listens on", default: "0.0.0.0" },
  { name: "https-listen-port", type: "int", env: "KITE_HTTPS_LISTEN_PORT", roles: ["server"], help: "Port for the API, Raft peer traffic and agent registration", default: 6443 },
  { name: "advertise-address", type: "string", env: "KITE_ADVERTISE_ADDRESS", roles: ["server"], help: "Address other servers and agents use to reach this server", defaultText: "node-ip" },
  { name: "tls-san", type: "list", env: "KITE_TLS_SAN", roles: ["server"], help: "Extra host name or IP as a Subject Alternative Name in the serving certificate (repeatable)" },
  { name: "node-name", type: "string", env: "KITE_NODE_NAME", roles: ["server", "agent"], help: "Node name", defaultText: "hostname" },
  { name: "node-ip", short: "i", type: "list", env: "KITE_NODE_IP", roles: ["server", "agent"], help: "IP address to advertise for the node (repeatable)", defaultText: "first non-loopback IPv4, else 127.0.0.1" },
  { name: "node-label", type: "list", env: "KITE_NODE_LABEL", roles: ["server", "agent"], help: "Label to register the node with, key=value (repeatable)" },
  { name: "node-taint", type: "list", env: "KITE_NODE_TAINT", roles: ["server", "agent"], help: "Taint to register the node with, key=value:Effect (repeatable)" },
  { name: "token", short: "t", type: "string", env: "KITE_TOKEN", roles: ["server", "agent"], help: "Shared secret used to join a server or agent to a cluster" },
  { name: "token-file", type: "string", env: "KITE_TOKEN_FILE", roles: ["server", "agent"], help: "File containing the token" },
  { name: "server", short: "s", type: "string", env: "KITE_URL", roles: ["server", "agent"], help: "Server to connect to (https://host:6443); for a server: join that cluster" },
  { name: "cluster-init", type: "bool", env: "KITE_CLUSTER_INIT", roles: ["server"], help: "Initialize a new cluster that more servers can join (HA)" },
  { name: "write-kubeconfig", short: "o", type: "string", env: "KITE_KUBECONFIG_OUTPUT", roles: ["server"], help: "Write the admin kubeconfig to this file", defaultText: "/etc/kite/kite.yaml as root, <data-dir>/kite.yaml otherwise" },
  { name: "write-kubeconfig-mode", type: "string", env: "KITE_KUBECONFIG_MODE", roles: ["server"], help: "File mode of the admin kubeconfig (octal)", default: "0600" },
  { name: "disable-agent", type: "bool", env: "KITE_DISABLE_AGENT", roles: ["server"], help: "Do not run an agent (no pods on this server)" },
  { name: "disable-scheduler", type: "bool", env: "KITE_DISABLE_SCHEDULER", roles: ["server"], help: "Do not run the scheduler on this server" },
  { name: "disable-controller-manager", type: "bool", env: "KITE_DISABLE_CONTROLLER_MANAGER", roles: ["server"], help: "Do not run the controllers (and scheduler) on this server" },
  { name: "container-runtime", type: "string", env: "KITE_CONTAINER_RUNTIME", roles: ["server", "agent"], help: "Container runtime CLI: podman or docker", defaultText: "auto-detected" },
  { name: "node-monitor-grace-period", type: "int", env: "KITE_NODE_MONITOR_GRACE_PERIOD", roles: ["server"], help: "Seconds without a heartbeat before a node is marked NotReady", default: 40 },
  { name: "default-unreachable-toleration-seconds", type: "int", env: "KITE_DEFAULT_UNREACHABLE_TOLERATION_SECONDS", roles: ["server"], help: "Seconds pods tolerate an unreachable/not-ready node before eviction", default: 300 },
];

export function flagsFor(role: Role): FlagDef[] {
  return FLAGS.filter((f) => f.roles.includes(role));
}

/** camelCase key used in the parsed options object, e.g. "data-dir" -> "dataDir". */
export function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
