"""svc_util.py -- shared helpers for the Python service tests: child processes, free ports, HTTP probes, the mock broker."""
import os
import shutil
import socket
import subprocess
import sys
import urllib.request

SQ = os.environ.get("SQUAWK_BIN", "build/squawk")
SRC = os.environ.get("SQ_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROCS = []


def free_port():
    while True:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if port < 65535:  # the replay socket takes port + 1
            return port


def start(args, **kw):
    p = subprocess.Popen(args, **kw)
    PROCS.append(p)
    return p


def http(port, path):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError:
        return 0, ""


def start_broker(*topics):
    """`squawk broker` with topics "name:partitions"; returns its bootstrap address or None."""
    args = [SQ, "broker"]
    for t in topics:
        args += ["--topic", t]
    broker = start(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return broker.stdout.readline().strip() or None


def run_main(main, tmp):
    """Runs main(), then kills every child still running and removes tmp (unless SQUAWK_TEST_KEEP)."""
    try:
        main()
    finally:
        for p in PROCS:
            if p.poll() is None:
                p.kill()
                p.wait()
        if not os.environ.get("SQUAWK_TEST_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)


def dump_logs(tmp, names=None):
    """Prints the tail of each log in tmp (names, or every *.log / *.err) to stderr."""
    for name in names if names is not None else sorted(os.listdir(tmp)):
        p = os.path.join(tmp, name)
        if os.path.exists(p) and (names is not None or name.endswith((".log", ".err"))):
            print("---- %s" % name, file=sys.stderr)
            print(open(p, errors="replace").read()[-4000:], file=sys.stderr)
