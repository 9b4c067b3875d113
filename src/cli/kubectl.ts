/**
 * @module cli/kubectl
 * `kite kubectl ...`: runs the machine's kubectl with KUBECONFIG pointing at the admin
 * kubeconfig when the user has not set one, like `k3s kubectl`.
 */
import { existsSync, accessSync, constants } from "node:fs";
import { join } from "node:path";
import { homedir } from "node:os";

export function defaultKubeconfigCandidates(): string[] {
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  return root ? ["/etc/kite/kite.yaml"] : [join(homedir(), ".kite", "kite.yaml"), "/etc/kite/kite.yaml"];
}

export async function runKubectl(args: string[]): Promise<number> {
  const bin = Bun.which("kubectl");
  if (!bin) {
    process.stderr.write(
      "kite: no kubectl found on PATH. Install one, for example:\n" +
        "  sudo apt-get install -y kubernetes-client    # Debian / Raspberry Pi OS\n" +
        "  or download it: https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/\n",
    );
    return 1;
  }
  const env = { ...process.env };
  if (!env.KUBECONFIG) {
    const found = defaultKubeconfigCandidates().find((p) => existsSync(p));
    if (found) {
      try {
        accessSync(found, constants.R_OK);
      } catch {
        process.stderr.write(`kite: cannot read ${found}; run as root or start the server with --write-kubeconfig-mode 644\n`);
        return 1;
      }
      env.KUBECONFIG = found;
    }
  }
  const proc = Bun.spawn([bin, ...args], { env, stdin: "inherit", stdout: "inherit", stderr: "inherit" });
  return await proc.exited;
}
