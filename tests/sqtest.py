"""sqtest.py -- helpers the Python integration tests share: ports, child processes, waits, HTTP."""
import os
import random
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

SCALE = float(os.environ.get("SQUAWK_TEST_TIME_SCALE") or 1)  # slow runners stretch every wait
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


def _bindable(port):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def _ephemeral_low():
    """The first port of the kernel's ephemeral range (net.ipv4.ip_local_port_range)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


PORT_LOCKS = "/tmp/squawk-test-ports"  # shared with tests/reliability/rel_util.c
_HELD = []  # lock files of the ports this process took: released when it exits


def _reserve(port):
    """An exclusive lock on the port's file, held until this process exits; False if another
    live test holds it (between its check and its squawk's bind the port still looks free)."""
    import fcntl
    try:
        os.makedirs(PORT_LOCKS, mode=0o777, exist_ok=True)
        fd = os.open(os.path.join(PORT_LOCKS, str(port)), os.O_RDWR | os.O_CREAT, 0o666)
    except OSError:
        return True  # no lock directory: the bind check alone
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False
    _HELD.append(fd)
    return True


def free_port():
    """A free loopback port whose successor (the replay socket) is free too.

    Chosen below the kernel's ephemeral range (read from the kernel, 32768+ by
    default): a port the kernel handed out by bind(0) can be taken again by any
    outgoing connection -- the broker clients of tests running in parallel --
    between this check and squawk's own bind. Both ports are locked for the life
    of this process, so a test running beside us never picks them too."""
    rng = random.SystemRandom()
    top = max(_ephemeral_low() - 2, 10002)
    while True:
        port = rng.randrange(10000, top)
        if _reserve(port) and _reserve(port + 1) and _bindable(port) and _bindable(port + 1):
            return port


def start(args, **kw):
    p = subprocess.Popen(args, **kw)
    PROCS.append(p)
    return p


def wait_until(what, fn, timeout):
    end = time.time() + timeout * SCALE
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    fail("timed out waiting for " + what)


def wait_subscribed(err_path, timeout=60):
    """Waits until a `squawk sub` whose stderr goes to err_path has heard the publisher (its
    "publisher ID on ENDPOINT" line): it subscribes to its topics before the heartbeats' topic, so
    the publisher has them then. A fixed sleep instead loses the first alerts on a busy machine
    when the subscriber runs with --no-replay."""
    def heard():
        try:
            return "squawk sub: publisher " in open(err_path, errors="replace").read()
        except OSError:
            return False
    wait_until("squawk sub to hear the publisher (%s)" % err_path, heard, timeout)


def http(port, path):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError:
        return 0, ""


def metric(port, name):
    """The value of an unlabelled sample of /metrics, or None."""
    _, text = http(port, "/metrics")
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return None


def committed_offsets(boot, group, topic, partitions):
    """The group's committed offsets and the high watermarks of the topic's partitions."""
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": boot, "group.id": group, "enable.auto.commit": False})
    tps = c.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=20)
    marks = [c.get_watermark_offsets(TopicPartition(topic, p), timeout=20)[1] for p in range(partitions)]
    c.close()
    return [tp.offset for tp in tps], marks


def kill_all():
    for p in PROCS:
        if p.poll() is None:
            p.kill()
            p.wait()


def start_broker(sq, *topics):
    """`squawk broker` (the binary sq) with topics "name:partitions"; returns its bootstrap address or None."""
    args = [sq, "broker"]
    for t in topics:
        args += ["--topic", t]
    broker = start(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return broker.stdout.readline().strip() or None


def write_config(path, boot, group, pub, kafka_extra="", zmq_extra=""):
    """A squawk.yml for one `squawk run`: the invest filter, zmq on 127.0.0.1:pub (replay pub + 1),
    metrics on an ephemeral port; kafka_extra / zmq_extra are YAML lines for those sections."""
    with open(path, "w") as f:
        f.write("""# test config
kafka:
  topics: [articles]
  dlq_topic: articles.dlq
  commit_interval_ms: 200
  bootstrap.servers: "%s"
  group.id: %s
%sfilters:
  - name: invest
sinks:
  zmq:
    endpoints: ["tcp://127.0.0.1:%d"]
    replay_endpoints: ["tcp://127.0.0.1:%d"]
%smetrics:
  listen: "127.0.0.1:0"
log:
  level: info
""" % (boot, group, kafka_extra, pub, pub + 1, zmq_extra))
    return path


def run_main(main, tmp):
    """Runs main(); then kills every child left and removes tmp (kept with SQUAWK_TEST_KEEP set)."""
    import shutil
    try:
        main()
    finally:
        kill_all()
        if not os.environ.get("SQUAWK_TEST_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
