"""Run by test/api/client-python.test.ts with Debian's /usr/bin/python3 (python3-kubernetes):
exercises the official Python client against kite and prints one JSON report of what it saw.
Usage: python-client.py <kubeconfig> <namespace>"""
import json
import sys
import threading
import time

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

kubeconfig, ns = sys.argv[1], sys.argv[2]
config.load_kube_config(config_file=kubeconfig)
core = client.CoreV1Api()
apps = client.AppsV1Api()
report = {}


def err(e):
    return {"code": e.status, "body": json.loads(e.body)}


core.create_namespace({"metadata": {"name": ns}})
created = core.create_namespaced_config_map(ns, {"metadata": {"name": "c1", "labels": {"app": "x"}}, "data": {"a": "1"}})
report["created"] = {"uid": bool(created.metadata.uid), "rv": bool(created.metadata.resource_version)}
read = core.read_namespaced_config_map("c1", ns)
report["read"] = read.data
read.data = {"a": "2"}
report["replaced"] = core.replace_namespaced_config_map("c1", ns, read).data
try:
    read.data = {"a": "3"}
    core.replace_namespaced_config_map("c1", ns, read)
    report["stale"] = "no error"
except ApiException as e:
    report["stale"] = err(e)
# The Python client sends a dict body as strategic merge patch, a list as JSON patch.
report["patched"] = core.patch_namespaced_config_map("c1", ns, {"data": {"b": "x"}}).data
report["jsonPatched"] = core.patch_namespaced_config_map("c1", ns, [{"op": "remove", "path": "/data/b"}]).data
lst = core.list_namespaced_config_map(ns, label_selector="app=x")
report["list"] = {"names": [i.metadata.name for i in lst.items], "rv": bool(lst.metadata.resource_version)}
dep = apps.create_namespaced_deployment(ns, {
    "metadata": {"name": "d1"},
    "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "d1"}},
             "template": {"metadata": {"labels": {"app": "d1"}}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}}},
})
report["deploymentStrategy"] = dep.spec.strategy.type
report["scaled"] = apps.patch_namespaced_deployment_scale("d1", ns, {"spec": {"replicas": 3}}).spec.replicas
core.delete_namespaced_config_map("c1", ns)
try:
    core.read_namespaced_config_map("c1", ns)
    report["afterDelete"] = "still there"
except ApiException as e:
    report["afterDelete"] = err(e)

# List + watch, as an informer does: events after the list's resourceVersion.
core.create_namespaced_config_map(ns, {"metadata": {"name": "pre", "labels": {"inf": "yes"}}, "data": {"v": "0"}})
initial = core.list_namespaced_config_map(ns, label_selector="inf=yes")
cache = {i.metadata.name: i.data for i in initial.items}
seen = []
w = watch.Watch()


def run():
    for ev in w.stream(core.list_namespaced_config_map, ns, label_selector="inf=yes",
                       resource_version=initial.metadata.resource_version, allow_watch_bookmarks=True, timeout_seconds=20):
        name = ev["object"].metadata.name
        seen.append(f'{ev["type"]} {name}')
        if ev["type"] == "DELETED":
            cache.pop(name, None)
        else:
            cache[name] = ev["object"].data
        if ev["type"] == "DELETED" and name == "pre":
            w.stop()


t = threading.Thread(target=run)
t.start()
time.sleep(0.5)
core.create_namespaced_config_map(ns, {"metadata": {"name": "i1", "labels": {"inf": "yes"}}, "data": {"v": "1"}})
core.create_namespaced_config_map(ns, {"metadata": {"name": "other"}, "data": {"v": "1"}})
core.patch_namespaced_config_map("i1", ns, {"data": {"v": "2"}})
core.delete_namespaced_config_map("pre", ns)
t.join(25)
report["watch"] = {"seen": seen, "cache": cache, "finished": not t.is_alive()}
print(json.dumps(report))
