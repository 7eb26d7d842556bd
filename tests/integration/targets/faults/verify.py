"""Count the tasks per infra on the simulator after the fault runs (runme.sh calls this).

Every fault case must leave exactly one task for its infra (never a second workflow for one
request), that task must be the one the module returned (no task lost) and it must be Completed.
"""
import json
import ssl
import sys
import urllib.request

base, ids_files = sys.argv[1], sys.argv[2:]
ctx = ssl._create_unverified_context()


def call(method, path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    req = urllib.request.Request(base + path, method=method, headers=headers,
                                 data=json.dumps(body).encode() if body is not None else None)
    with urllib.request.urlopen(req, timeout=10, context=ctx) as resp:
        return json.load(resp)["data"]


token = call("POST", "/auth/login", {"username": "admin", "password": "admin-demo-password"})["token"]
tasks, offset = [], 0
while True:
    page = call("GET", "/tasks?limit=1000&offset=%d" % offset, token=token)
    tasks += page
    if len(page) < 1000:
        break
    offset += 1000

by_infra = {}
for task in tasks:
    if "--check" in task["args"]:
        continue
    infra = task["args"][task["args"].index("--infra") + 1]
    by_infra.setdefault(infra, []).append(task)

returned = {}
for path in ids_files:
    with open(path) as handle:
        returned.update(json.load(handle))

problems = []
for infra, task_id in sorted(returned.items()):
    found = by_infra.get(infra, [])
    if infra == "faults-malformed" and task_id is None:
        if len(found) > 1:
            problems.append("%s: %d tasks for one failed request" % (infra, len(found)))
        continue
    if len(found) != 1:
        problems.append("%s: expected exactly 1 task, found %d: %s"
                        % (infra, len(found), [(t["id"], t["status"]) for t in found]))
        continue
    if found[0]["id"] != task_id:
        problems.append("%s: the module returned %s but the orchestrator has %s" % (infra, task_id, found[0]["id"]))
    if found[0]["status"] != "Completed":
        problems.append("%s: task %s is %s" % (infra, found[0]["id"], found[0]["status"]))
for infra in ("faults-false", "faults-badcreds"):
    if by_infra.get(infra):
        problems.append("%s: a failed request left %d task(s)" % (infra, len(by_infra[infra])))

if problems:
    sys.exit("FAIL:\n  " + "\n  ".join(problems))
print("faults: one task per request for %s; none for the refused requests" % ", ".join(sorted(returned)))
