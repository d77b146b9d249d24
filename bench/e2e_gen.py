#!/usr/bin/python3
"""e2e_gen.py -- synthetic ~5 KB articles for make bench, as JSON Lines on stdout.

Every --alert-every'th article is one of the alerting samples (samples/01-15), the others one of
the non-alerting samples (16-20); each body is padded with neutral filler (weather, gardening,
sport) to --size bytes of JSON. Ids are unique (<prefix>-<n>), so no two articles are the same
story. Deterministic for a given --seed. Nothing from ../shared is used.
"""
import argparse
import glob
import json
import os
import random
import sys

FILLER = [
    "Light rain is expected in the northern valleys through the early evening.",
    "Gardeners were advised to water seedlings in the morning before the afternoon heat.",
    "The regional football league confirmed the fixture list for the coming weekend.",
    "Temperatures will climb slowly towards the middle of the week before a cooler spell.",
    "Volunteers planted two hundred young oak trees along the river path on Saturday.",
    "The local library extended its opening hours for the summer reading programme.",
    "Fog patches may linger near the coast until late morning, forecasters said.",
    "The village fete drew large crowds despite a brief shower at lunchtime.",
    "Cyclists were reminded that the hill road will be closed for resurfacing next month.",
    "A record number of swallows was counted at the nature reserve this spring.",
    "The home side scored twice in the second half to win the derby at the old ground.",
    "Tomatoes and beans benefit from a layer of mulch during dry weeks.",
    "Winds from the west will ease overnight, leaving clear skies by dawn.",
    "The marathon route passes the cathedral, the park and the old market square.",
    "Organisers said the flower show would return to the meadow next summer.",
    "Snow is unlikely this week, although frost may form in sheltered spots.",
    "The swimming pool reopened after the annual cleaning and repainting of the tiles.",
    "Children at the primary school grew sunflowers taller than their teachers.",
    "The cricket match was abandoned after heavy rain flooded the outfield.",
    "Walkers on the coastal trail reported seals basking on the rocks below the cliffs.",
    "A mild autumn has left many apple trees in the orchards heavy with fruit.",
    "The tennis club will hold its junior tournament on the grass courts in July.",
    "Thunderstorms could bring hail to upland areas late on Thursday.",
    "Birdwatchers gathered at dawn to watch the geese leave the lake.",
]


def filler(rng, n):
    out = []
    size = 0
    while size < n:
        s = rng.choice(FILLER)
        out.append(s)
        size += len(s) + 1
    return " ".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", required=True, help="the project's samples/ directory")
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--size", type=int, default=5000, help="bytes of JSON per article")
    ap.add_argument("--alert-every", type=int, default=10)
    ap.add_argument("--prefix", default="bench")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    files = sorted(glob.glob(os.path.join(a.samples, "[0-9]*.json")))
    # samples/README.md: 01-15 raise alerts, 16-20 raise nothing
    alerting = [json.load(open(f)) for f in files if int(os.path.basename(f)[:2]) <= 15]
    quiet = [json.load(open(f)) for f in files if int(os.path.basename(f)[:2]) > 15]
    # Pre-render templates so the generator is not the bottleneck: "%s" is the id.
    templates = []
    for pool, kind in ((alerting, "a"), (quiet, "q")):
        for x in pool:
            for v in range(8):
                doc = dict(x)
                doc["id"] = "@@ID@@"
                base = len(json.dumps(doc))
                pad = max(0, a.size - base - 2)
                doc["body"] = x.get("body", "") + "\n\n" + filler(rng, pad)
                s = json.dumps(doc)
                # trim the filler so every line is close to --size bytes
                over = len(s) - a.size
                if over > 0:
                    doc["body"] = doc["body"][: len(doc["body"]) - over]
                    s = json.dumps(doc)
                templates.append((kind, s.replace("@@ID@@", "%s")))
    ta = [t for k, t in templates if k == "a"]
    tq = [t for k, t in templates if k == "q"]
    out = sys.stdout
    write = out.write
    p = a.prefix
    for i in range(a.count):
        t = ta[i % len(ta)] if i % a.alert_every == 0 else tq[i % len(tq)]
        write(t.replace("%s", "%s-%d" % (p, i), 1) + "\n")
    out.flush()


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        pass
