/**
 * Run by test/api/client-node.test.ts as `bun node-client.ts <kubeconfig> <namespace>` with
 * NODE_EXTRA_CA_CERTS pointing at the cluster CA (client-node's undici dispatcher, which would
 * carry the kubeconfig's CA, is ignored by Bun's undici shim). Exercises @kubernetes/client-node
 * against kite and prints one JSON report of what it observed; the test asserts on it.
 */
import * as k8s from "@kubernetes/client-node";

const [kubeconfig, NS] = process.argv.slice(2) as [string, string];
const kc = new k8s.KubeConfig();
kc.loadFromFile(kubeconfig);
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
const merge = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);
const jsonPatch = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.JsonPatch);
const report: Record<string, unknown> = {};
const code = (e: unknown) => (e instanceof k8s.ApiException ? { code: e.code, body: typeof e.body === "string" ? JSON.parse(e.body) : e.body } : { error: String(e) });

async function until(cond: () => boolean, ms: number) {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await Bun.sleep(50);
}

await core.createNamespace({ body: { metadata: { name: NS } } });

// CRUD
const created = await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: "c1", labels: { app: "x" } }, data: { a: "1" } } });
report.created = { uid: typeof created.metadata?.uid, rv: typeof created.metadata?.resourceVersion };
const read = await core.readNamespacedConfigMap({ name: "c1", namespace: NS });
report.read = read.data;
read.data = { a: "2" };
report.replaced = (await core.replaceNamespacedConfigMap({ name: "c1", namespace: NS, body: read })).data;
report.stale = await core.replaceNamespacedConfigMap({ name: "c1", namespace: NS, body: { ...read, data: { a: "3" } } }).then(() => "no error", code);
report.merged = (await core.patchNamespacedConfigMap({ name: "c1", namespace: NS, body: { data: { b: "x" } } }, merge)).data;
report.jsonPatched = (await core.patchNamespacedConfigMap({ name: "c1", namespace: NS, body: [{ op: "remove", path: "/data/b" }] }, jsonPatch)).data;
const list = await core.listNamespacedConfigMap({ namespace: NS, labelSelector: "app=x" });
report.list = { names: list.items.map((i) => i.metadata?.name), rv: typeof list.metadata?.resourceVersion };
const dep = await apps.createNamespacedDeployment({
  namespace: NS,
  body: { metadata: { name: "d1" }, spec: { replicas: 1, selector: { matchLabels: { app: "d1" } }, template: { metadata: { labels: { app: "d1" } }, spec: { containers: [{ name: "c", image: "busybox" }] } } } },
});
report.deploymentStrategy = dep.spec?.strategy?.type;
report.scaled = (await apps.patchNamespacedDeploymentScale({ name: "d1", namespace: NS, body: { spec: { replicas: 3 } } }, merge)).spec?.replicas;
await core.deleteNamespacedConfigMap({ name: "c1", namespace: NS });
report.afterDelete = await core.readNamespacedConfigMap({ name: "c1", namespace: NS }).then(() => "still there", code);

// Informer: list + watch.
const seen: string[] = [];
const errors: string[] = [];
const informer = k8s.makeInformer(kc, `/api/v1/namespaces/${NS}/configmaps`, () => core.listNamespacedConfigMap({ namespace: NS, labelSelector: "inf=yes" }), "inf=yes");
informer.on(k8s.ADD, (o) => seen.push(`add ${o.metadata?.name}`));
informer.on(k8s.UPDATE, (o) => seen.push(`update ${o.metadata?.name} ${o.data?.v}`));
informer.on(k8s.DELETE, (o) => seen.push(`delete ${o.metadata?.name}`));
informer.on(k8s.ERROR, (e) => errors.push(String(e)));
await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: "pre", labels: { inf: "yes" } }, data: { v: "0" } } });
await informer.start();
await until(() => seen.includes("add pre"), 10_000);
await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: "i1", labels: { inf: "yes" } }, data: { v: "1" } } });
await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: "other" }, data: { v: "1" } } });
await until(() => seen.includes("add i1"), 10_000);
await core.patchNamespacedConfigMap({ name: "i1", namespace: NS, body: { data: { v: "2" } } }, merge);
await core.deleteNamespacedConfigMap({ name: "pre", namespace: NS });
await until(() => seen.includes("delete pre"), 10_000);
report.informer = { seen, cache: informer.list(NS).map((o) => o.metadata?.name), i1: informer.get("i1", NS)?.data, errors };
await informer.stop();

console.log(JSON.stringify(report));
process.exit(0);
