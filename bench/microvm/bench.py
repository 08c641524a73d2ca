#!/usr/bin/env python3
"""microVM provider benchmark, beside the Docker provider in the same run.

For each provider (an ephemeral microvm one, QEMU microvm under TCG unless
MV_ACCEL says otherwise, and an ephemeral docker one), N jobs, one after the
other, each on a cold worker (a new VM / a new container):
  - queue-to-first-log-line: from just before `jobs queue --follow` until
    the job's first log line reaches the CLI (boot, agent registration,
    assignment, spawn, log path);
  - the per-worker memory of what runs the worker, read while the job
    sleeps: the VMM's RSS (qemu-system-x86_64) for a VM; for a container,
    the RSS of its containerd-shim plus the agent's (the container's own
    process), since the Docker daemon is shared.
Firecracker's published figures are printed for scale, not measured.

Usage: bench.py BUILD_DIR [N]   (needs qemu-system-x86, linux-image-amd64,
a dockerd: test/docker/ensure-dockerd.sh starts one)
"""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

build = os.path.abspath(sys.argv[1])
n = int(sys.argv[2]) if len(sys.argv) > 2 else 3
hodeid = os.path.join(build, "tools/hodeid/hodeid")
cli_bin = os.path.join(build, "tools/hodei-jobs-cli/hodei-jobs-cli")
seed = os.path.join(build, "test/microvm/mv-seed")
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
tmp = tempfile.mkdtemp(prefix="hodei-mv-bench.")
data = os.path.join(tmp, "data")
os.makedirs(data)
env = dict(os.environ, HODEI_WORKER_BIN=os.path.join(build, "tools/hodei-worker/hodei-worker"),
           HODEI_WORKER_IMAGE="hodei-worker:bench")
env.pop("HODEI_SERVER", None)
env.pop("HODEI_MICROVM_DIR", None)

docker = subprocess.call([os.path.join(root, "test/docker/ensure-dockerd.sh")]) == 0
accel = os.environ.get("MV_ACCEL", "tcg")
seed_env = dict(env, HODEI_MICROVM_DIR=os.path.join(tmp, "seed-vm"))
subprocess.check_call([seed, os.path.join(data, "hodei.db"), "vm",
                       json.dumps({"accel": accel, "register_timeout_ms": 900000}), "1",
                       "microvm"], env=seed_env)
if docker:
    subprocess.check_call([seed, os.path.join(data, "hodei.db"), "dk",
                           json.dumps({"ephemeral": True}), "1", "docker"], env=seed_env)
ports = os.path.join(tmp, "ports")
log = open(os.path.join(tmp, "hodeid.log"), "w")
srv = subprocess.Popen([hodeid, "--data-dir", data, "-g", "127.0.0.1:0", "-H", "off",
                        "--port-file", ports, "--no-local-provider"], env=env,
                       stdout=log, stderr=log)


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            m = re.search(r"VmRSS:\s+(\d+)", f.read())
            return int(m.group(1)) if m else 0
    except OSError:
        return 0


def ppid(pid):
    with open("/proc/%d/stat" % pid) as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def worker_memory(provider):
    if provider == "vm":
        vmdir = os.path.join(data, "microvm", "vm")
        for d in os.listdir(vmdir):
            p = os.path.join(vmdir, d, "pid")
            if os.path.exists(p):
                return rss_kb(int(open(p).read()))
        return 0
    out = subprocess.run(["pgrep", "-f", "^/usr/local/bin/hodei-worker"], capture_output=True,
                         text=True).stdout.split()
    for pid in map(int, out):
        try:
            shim = ppid(pid)
            return rss_kb(pid) + rss_kb(shim)
        except OSError:
            pass
    return 0


def one(provider, i):
    cmd = [cli_bin, "--server", "127.0.0.1:%s" % port, "jobs", "queue", "--id",
           "%s-%d" % (provider, i), "--provider", provider, "--shell", "--follow",
           "--command", "echo first-line; sleep 4"]
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    first = None
    mem = 0
    for line in p.stdout:
        if "first-line" in line and first is None:
            first = (time.monotonic() - t0) * 1000
            time.sleep(1)
            mem = worker_memory(provider)
    p.wait()
    return first, mem


try:
    for _ in range(300):
        if os.path.exists(ports):
            break
        time.sleep(0.1)
    port = re.search(r"grpc=(\d+)", open(ports).read()).group(1)
    results = {}
    for provider in (["vm", "dk"] if docker else ["vm"]):
        runs = [one(provider, i) for i in range(n)]
        results[provider] = runs
        print("%s: %s" % (provider, ", ".join("%.0f ms / %d KiB" % r for r in runs)), flush=True)
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    print("\nmachine: %d cores, load average %s at the end (shared machine)" % (os.cpu_count(), load))
    print("| provider | queue to first log line, median (min-max) | memory per worker, median |")
    print("|---|---|---|")
    names = {"vm": "microvm (QEMU microvm, %s)" % accel.upper(),
             "dk": "docker (container, ephemeral)"}
    for k, runs in results.items():
        t = [r[0] for r in runs if r[0] is not None]
        m = [r[1] for r in runs]
        what = "qemu RSS" if k == "vm" else "shim + agent RSS"
        print("| %s | %.0f ms (%.0f-%.0f) | %.1f MiB (%s) |" % (
            names[k], statistics.median(t), min(t), max(t), statistics.median(m) / 1024, what))
    print("| Firecracker, published (not measured here) | ~125 ms to guest init | < 5 MiB VMM overhead |")
finally:
    srv.terminate()
    srv.wait()
    shutil.rmtree(tmp, ignore_errors=True)
