#!/usr/bin/env python3
"""learned_svm.py -- the bench's reference classifier: scikit-learn LinearSVC on TF-IDF word 1-2-grams, one model over all labels."""
import argparse
import csv
import html
import sys
import time

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score, precision_score, recall_score
from sklearn.svm import LinearSVC


def read(path):
    texts, labels = [], []
    with open(path, newline="", encoding="utf-8") as f:
        for rec in csv.DictReader(f):
            # the same text squawk sees (tools/corpus_twitter.py unescapes entities)
            t = html.unescape(rec["text"]).strip()
            if t:
                texts.append(t)
                labels.append(int(rec["label"]))
    return texts, labels


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("train_csv")
    ap.add_argument("test_csv")
    ap.add_argument("--labels", default="13,12", help="labels to report (default 13,12)")
    a = ap.parse_args()
    xtr, ytr = read(a.train_csv)
    xte, yte = read(a.test_csv)
    t0 = time.perf_counter()
    vec = TfidfVectorizer(ngram_range=(1, 2))
    clf = LinearSVC(class_weight="balanced")
    clf.fit(vec.fit_transform(xtr), ytr)
    train_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    pred = clf.predict(vec.transform(xte))
    pred_s = time.perf_counter() - t0
    for lab in (int(x) for x in a.labels.split(",")):
        yt = [1 if y == lab else 0 for y in yte]
        yp = [1 if p == lab else 0 for p in pred]
        print("svm\tlabel=%d\tP=%.4f\tR=%.4f\tF1=%.4f" % (lab, precision_score(yt, yp, zero_division=0),
              recall_score(yt, yp, zero_division=0), f1_score(yt, yp, zero_division=0)))
    print("svm\ttrain_s=%.2f\tpredict_per_s=%.0f" % (train_s, len(xte) / pred_s if pred_s > 0 else 0))


if __name__ == "__main__":
    sys.exit(main())
