#!/usr/bin/python3
"""test_defects.py -- issue 21's small defects: a too-big article's dead letter, errors naming the config key and file, CURVE key files."""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sqtest  # noqa: E402
from sqtest import free_port, start  # noqa: E402

SQ = os.environ.get("SQUAWK_BIN", "build/squawk")

TMP = tempfile.mkdtemp(prefix="squawk-test-defects.")


def fail(msg):
    sqtest.LOGS.extend(os.path.join(TMP, n) for n in sorted(os.listdir(TMP)) if n.endswith((".log", ".err")))
    sqtest.fail(msg)


def write_config(name, boot, pub, extra_kafka="", extra_zmq="", group="test-defects"):
    return sqtest.write_config(os.path.join(TMP, name), boot, group, pub, extra_kafka, extra_zmq)


def dead_letter_of(boot, group, value, extra_kafka):
    """Runs squawk on one article too big for it; returns the dead letter (a confluent_kafka Message)."""
    from confluent_kafka import Consumer, Producer, TopicPartition
    cfg = write_config(group + ".yml", boot, free_port(), "  max_article_bytes: 900000\n" + extra_kafka,
                       group=group)
    log = os.path.join(TMP, group + "-run.log")
    run = start([SQ, "run", "-c", cfg], stdout=open(log, "w"), stderr=subprocess.STDOUT)
    c = Consumer({"bootstrap.servers": boot, "group.id": "dlq-reader", "enable.auto.commit": False})
    low, high = c.get_watermark_offsets(TopicPartition("articles.dlq", 0), timeout=20)
    p = Producer({"bootstrap.servers": boot, "message.max.bytes": 2000000})
    p.produce("articles", value, key=b"big-key", headers=[("origin", b"test-defects")])
    if p.flush(20) != 0:
        fail("could not produce the big article")
    c.assign([TopicPartition("articles.dlq", 0, high)])
    m = None
    end = time.time() + 60
    while time.time() < end and m is None:
        m = c.poll(0.5)
        if m is not None and m.error():
            m = None
    c.close()
    if m is None:
        fail("no dead letter for the TOO_BIG article (%s)" % group)
    h = dict(m.headers() or [])
    if h.get("squawk-error") != b"TOO_BIG" or not re.fullmatch(rb"articles/\d+/\d+", h.get("squawk-source", b"")):
        fail("dead letter has squawk-error %r, squawk-source %r" % (h.get("squawk-error"), h.get("squawk-source")))
    if m.key() != b"big-key" or h.get("origin") != b"test-defects":
        fail("dead letter lost the original key or headers: %r %s" % (m.key(), sorted(h)))
    run.send_signal(15)
    if run.wait(timeout=60) != 0:
        fail("squawk run did not exit 0")
    return m, h


def too_big_dead_letter(boot):
    """A TOO_BIG article reaches the dead-letter topic unchanged; where the DLQ refuses its size,
    an empty value with squawk-original-bytes, as docs/ALERTS.md says."""
    # Bigger than librdkafka's default message.max.bytes (1000000), the limit that used to
    # empty the dead letter; small enough for the mock broker to keep and serve.
    value = (b'{"id": "big-1", "headline": "A very long article", "body": "' +
             b"x" * 1010000 + b'"}')
    m, h = dead_letter_of(boot, "big-whole", value, "")
    if m.value() != value or "squawk-original-bytes" in h:
        fail("dead letter is not the original: %d of %d bytes, headers %s"
             % (len(m.value() or b""), len(value), sorted(h)))
    print("ok: a %d-byte TOO_BIG article is dead-lettered unchanged (value, key, headers)" % len(value))
    m, h = dead_letter_of(boot, "big-capped", value, "  message.max.bytes: 1000000\n")
    if m.value() not in (None, b"") or h.get("squawk-original-bytes") != str(len(value)).encode():
        fail("refused dead letter: %d bytes, squawk-original-bytes %r"
             % (len(m.value() or b""), h.get("squawk-original-bytes")))
    print("ok: one over the configured message.max.bytes: empty value, squawk-original-bytes %d" % len(value))


def squawk(cmd, cfg, env=None):
    e = dict(os.environ, **(env or {}))
    r = subprocess.run([SQ, cmd, "-c", cfg], capture_output=True, text=True, timeout=120, env=e)
    return r.returncode, r.stderr


def line_of(path, text):
    for i, line in enumerate(open(path), 1):
        if text in line:
            return i
    fail("%s not in %s" % (text, path))


def port_in_use(boot):
    """A port in use names the key and the config file (and line), or the environment variable."""
    port = free_port() + 1  # port - 1 is free too: the replay case below publishes there
    held = socket.socket()
    held.bind(("127.0.0.1", port))
    held.listen(1)
    cfg = write_config("busy.yml", boot, port)
    rc, err = squawk("run", cfg)
    want = "%s:%d: sinks.zmq.endpoints: cannot bind or connect tcp://127.0.0.1:%d: Address already in use" % (
        cfg, line_of(cfg, "endpoints: [\"tcp"), port)
    if rc == 0 or want not in err:
        fail("a busy publish port: exit %d, stderr %r; wanted %r" % (rc, err, want))
    cfg = write_config("busy-replay.yml", boot, port - 1)
    rc, err = squawk("run", cfg)
    want = "%s:%d: sinks.zmq.replay_endpoints: cannot bind or connect tcp://127.0.0.1:%d" % (
        cfg, line_of(cfg, "replay_endpoints:"), port)
    if rc == 0 or want not in err:
        fail("a busy replay port: exit %d, stderr %r; wanted %r" % (rc, err, want))
    cfg = write_config("busy-env.yml", boot, free_port())
    rc, err = squawk("run", cfg, {"SQUAWK_SINKS__ZMQ__ENDPOINTS": "tcp://127.0.0.1:%d" % port})
    want = "SQUAWK_SINKS__ZMQ__ENDPOINTS: sinks.zmq.endpoints: cannot bind or connect tcp://127.0.0.1:%d" % port
    if rc == 0 or want not in err:
        fail("a busy port from the environment: exit %d, stderr %r; wanted %r" % (rc, err, want))
    held.close()
    print("ok: a port in use names file:line and sinks.zmq.endpoints / replay_endpoints (or the environment)")


def curve_key_files(boot):
    """A garbage or group/world-readable CURVE secret key file is refused by check and run, naming it."""
    prefix = os.path.join(TMP, "server")
    r = subprocess.run([SQ, "keygen", "--out", prefix], capture_output=True, text=True)
    if r.returncode != 0:
        fail("squawk keygen failed: " + r.stderr)
    key, pub = prefix + ".key", prefix + ".pub"
    garbage = os.path.join(TMP, "garbage.key")
    with open(garbage, "w") as f:
        f.write("this is no CURVE key at all\n")
    os.chmod(garbage, 0o600)
    other = os.path.join(TMP, "other")
    subprocess.run([SQ, "keygen", "--out", other], capture_output=True, check=True)

    def cfg_for(name, secret, public):
        return write_config(name, boot, free_port(), "", "    curve:\n      secret_key_file: \"%s\"\n"
                            "      public_key_file: \"%s\"\n" % (secret, public))
    good = cfg_for("curve-ok.yml", key, pub)
    rc, err = squawk("check", good)
    if rc != 0:
        fail("squawk check refused a 0600 key from squawk keygen: " + err)
    cases = [
        ("curve-garbage.yml", garbage, pub, "sinks.zmq.curve.secret_key_file: %s: not a CURVE secret key" % garbage, None),
        ("curve-0644.yml", key, pub, "sinks.zmq.curve.secret_key_file: %s: mode 0644 lets others read" % key, 0o644),
        ("curve-0640.yml", key, pub, "sinks.zmq.curve.secret_key_file: %s: mode 0640 lets others read" % key, 0o640),
        ("curve-pair.yml", key, other + ".pub",
         "sinks.zmq.curve.public_key_file: %s.pub is not the public half of the secret key in %s" % (other, key), 0o600),
    ]
    for name, secret, public, want, mode in cases:
        if mode is not None:
            os.chmod(secret, mode)
        cfg = cfg_for(name, secret, public)
        want = "%s:%d: %s" % (cfg, line_of(cfg, "secret_key_file" if "secret_key_file:" in want else "public_key_file"), want)
        for cmd in ("check", "run"):
            rc, err = squawk(cmd, cfg)
            if rc == 0 or want not in err:
                fail("squawk %s with %s: exit %d, stderr %r; wanted %r" % (cmd, name, rc, err, want))
            if open(key).read().strip() in err:
                fail("squawk %s printed the secret key" % cmd)
    print("ok: garbage, 0644/0640 and mismatched CURVE key files are refused by check and run, naming the file")


def main():
    boot = sqtest.start_broker(SQ, "articles:1", "articles.dlq:1")
    if not boot:
        fail("squawk broker printed no bootstrap address")
    port_in_use(boot)
    curve_key_files(boot)
    too_big_dead_letter(boot)


if __name__ == "__main__":
    sqtest.run_main(main, TMP)
