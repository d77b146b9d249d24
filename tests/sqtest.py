"""sqtest.py -- helpers the Python integration tests share: ports, child processes, waits, HTTP."""
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

PROCS = []
LOGS = []  # files whose tail fail() prints


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    for p in LOGS:
        try:
            text = open(p, errors="replace").read()
        except OSError:
            continue
        print("---- %s" % p, file=sys.stderr)
        print(text[-4000:], file=sys.stderr)
    sys.exit(1)


def free_port():
    """A free loopback port whose successor (the replay socket) exists too."""
    while True:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if port < 65535:
            return port


def start(args, **kw):
    p = subprocess.Popen(args, **kw)
    PROCS.append(p)
    return p


def wait_until(what, fn, timeout):
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    fail("timed out waiting for " + what)


def http(port, path):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError:
        return 0, ""


def kill_all():
    for p in PROCS:
        if p.poll() is None:
            p.kill()
            p.wait()
