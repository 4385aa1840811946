#!/usr/bin/env python3
"""The trivial baseline for topic tagging: every part gets its subject's most frequent topic.

Usage: baseline_majority.py [--labels DIR] [--syllabi DIR] [--split check|tune|all] [--out DIR] [--json]

For each syllabus, the most frequent primary (first) topic over the parts of the tune split
(ties: the topic listed first in the syllabus) is predicted, alone, for every part of every
paper of that syllabus in --split (default check). A syllabus without tune papers gets no
prediction. Scored with score.py; --out DIR also writes the predictions as DIR/NAME.json in the
format score.py reads. A real tagger should beat these figures on check.
"""
import argparse
import collections
import json
import os
import sys

sys.dont_write_bytecode = True
import score  # noqa: E402


def majority(labels, syllabi):
    counts = {}
    for lab in labels:
        if lab["split"] == "tune":
            counts.setdefault(lab["syllabus"], collections.Counter()).update(p["topics"][0] for p in lab["parts"])
    out = {}
    for name, c in counts.items():
        order = {t["code"]: i for i, t in enumerate(syllabi[name].topics)}
        out[name] = min(c, key=lambda code: (-c[code], order.get(code, 1 << 30)))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--labels", default=os.path.join(score.HERE, "labels"))
    ap.add_argument("--syllabi", default=os.path.join(score.HERE, "syllabi"))
    ap.add_argument("--split", choices=["tune", "check", "all"], default="check")
    ap.add_argument("--out")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    labels = score.load_labels(a.labels)
    syllabi = score.load_syllabi(a.syllabi)
    best = majority(labels, syllabi)
    predictions = {}
    for lab in labels:
        code = best.get(lab["syllabus"])
        predictions[lab["paper"]] = [{"question_number": p["number"], "topic_codes": [code] if code else []}
                                     for p in lab["parts"]]
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        for name, rows in predictions.items():
            with open(os.path.join(a.out, name + ".json"), "w", encoding="utf-8") as f:
                json.dump(rows, f, indent=1)
                f.write("\n")
    rep = score.score_all(labels, predictions, syllabi, a.split)
    rep["majority_topic"] = best
    if a.json:
        print(json.dumps(rep, indent=1))
    else:
        print("majority topic of the tune split per syllabus: "
              + ", ".join("%s %s" % kv for kv in sorted(best.items())))
        score.print_table(rep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
