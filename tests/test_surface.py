#!/usr/bin/env python3
"""test_surface.py -- tools/surface.py: the eval fixtures rewritten each way and scored by squawk eval; what must not change."""
import os
import subprocess
import sys
import tempfile

SQ = os.environ.get("SQUAWK_BIN", "build/squawk")
SRC = os.environ.get("SQ_SOURCE_DIR", os.path.join(os.path.dirname(__file__), ".."))
DATA = os.path.join(SRC, "tests", "data", "eval")
sys.path.insert(0, os.path.join(SRC, "tools"))
import surface  # noqa: E402


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check_variants():
    """The rewrites themselves, on headlines of our own."""
    cases = [("title", "Nvidia agrees to buy a stake in Arm for $5bn", "Nvidia Agrees to Buy a Stake in Arm for $5bn"),
             ("wire", "Acme buys Initech", "UPDATE 2-Acme buys Initech"),
             ("source", "Acme buys Initech", "Acme buys Initech - Reuters"),
             ("caps", "Acme buys Initech", "ACME BUYS INITECH"),
             ("lower", "Acme buys Initech", "acme buys Initech".lower())]
    for mode, head, want in cases:
        got = surface.variant(mode, {"id": "x", "headline": head, "body": ""})
        if not got or got["headline"] != want:
            fail("%s of %r: %r" % (mode, head, got and got["headline"]))
    a = {"id": "x", "headline": "Acme's \"deal\"", "body": "AT&T paid $4 billion, not $5bn."}
    if surface.variant("quotes", a)["headline"] != "Acme\u2019s \u201cdeal\u201d":
        fail("quotes: %r" % surface.variant("quotes", a)["headline"])
    if surface.variant("amounts", a)["body"] != "AT&T paid $4bn, not $5 billion.":
        fail("amounts: %r" % surface.variant("amounts", a)["body"])
    if surface.variant("entities", a)["body"] != "AT&amp;T paid $4 billion, not $5bn.":
        fail("entities: %r" % surface.variant("entities", a)["body"])
    if surface.variant("title", {"id": "x", "headline": "Acme Buys Initech Stake"}) is not None:
        fail("a Title Case headline was rewritten")


def check_table():
    """Squawk reads past wire slugs, outlets, site labels, pictographs, datelines, no-break spaces and HTML references: no outcome changes."""
    spec = ",".join(os.path.join(DATA, f) for f in ("labels.tsv", "parties.tsv", "articles.jsonl"))
    with tempfile.TemporaryDirectory() as tmp:
        r = subprocess.run([sys.executable, os.path.join(SRC, "tools", "surface.py"), "table", SQ,
                            os.path.join(SRC, "config", "squawk.yml"), os.path.join(tmp, "sf"), spec],
                           capture_output=True, text=True, timeout=300, env=dict(os.environ, SQUAWK_LOG__LEVEL="warn"))
    if r.returncode != 0:
        fail("surface.py table: %s" % r.stderr[-2000:])
    rows = {line.split()[0]: line.split() for line in r.stdout.splitlines()[2:] if line.strip()}
    if sorted(rows) != sorted(surface.MODES):
        fail("modes in the table: %s" % sorted(rows))
    for mode in ("wire", "source", "label", "emoji", "dateline", "nbsp", "entities"):
        if int(rows[mode][1]) == 0 or rows[mode][2] != "0":
            fail("%s: %s articles rewritten, %s outcomes changed (want some, and 0)" % (mode, rows[mode][1], rows[mode][2]))
    print(r.stdout)


check_variants()
check_table()
print("test_surface: ok")
