#!/usr/bin/env python3
"""Scores topic tags of exam-paper questions against the hand-labelled set in bench/retag.

Usage:
  score.py --labels DIR --predictions DIR [--split tune|check|all] [--syllabi DIR] [--json]
  score.py --validate [--labels DIR] [--syllabi DIR] [--truth DIR]
  score.py --self-test

--labels DIR holds NAME.labels.json: {"paper", "syllabus", "split": "tune"|"check",
"parts": [{"number": "1(a)(i)", "topics": ["1.1", ...]}]}, one primary topic first.
--predictions DIR holds NAME.json: a list of {"question_number", "topic_codes": [...]} rows (what
`examq questions PAPER --json` prints, plus the codes of the rows' topics, primary first), or
that command's whole output: rows with topic_ids and no topic_codes have the ids mapped back to
codes, which works when the syllabus was loaded by load_syllabus.py under its default
syllabus id (topic id = uuid5(syllabus id, code)). A paper without a predictions file counts as
predicted with nothing.
--syllabi DIR (default: syllabi/ next to this script) holds SYLLABUS.json with
{"topics": [{"code", "title", "description", "parent"}]}.

Question numbers are matched after normalising like ../shared/realpapers/score.py (`Q3 (a)` =
`3(a)` = `3a`). A labelled part with no row of its own takes the codes of its nearest ancestor row
that has codes (a tagger may tag `3` rather than `3(a)`), counted as `inherited`. Topic codes are
matched the same way (`1(a)` = `1a`, ` 1.1` = `1.1`); a predicted code not in the syllabus counts
as wrong (`unknown_codes`).

Per paper and overall (over the parts of the selected split):
  top1       predicted first code == labelled first code
  section    the section (parent code; a topic without parent is its own section) of the
             predicted first code == that of the labelled first code
  precision  |predicted codes & labelled codes| / |predicted codes|, summed over parts (micro)
  recall     |predicted codes & labelled codes| / |labelled codes|, summed over parts (micro)
  coverage   parts with any predicted code / parts
Parts without a prediction count as wrong for top1, section and recall.

--validate checks every labels file against its syllabus (known syllabus, split tune|check,
1 or 2 topics per part, codes exist and are leaf topics, no duplicate parts after normalising)
and, where --truth DIR (default $REALPAPERS/truth or ../shared/realpapers/truth from the
repository root) has NAME.truth.json, that the parts are exactly the truth's leaf parts. It also
checks each syllabus (unique codes, parents listed before their children). Exit 1 on a problem.
--self-test runs the scorer's built-in checks. Python 3 standard library only.
"""
import argparse
import glob
import json
import os
import re
import sys
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))


def norm(number):
    """Question number key, as in ../shared/realpapers/score.py."""
    s = (number or "").lower()
    s = re.sub(r"^\s*(question|q)\s*\.?\s*(?=\d)", "", s)
    s = re.sub(r"\s+", "", s)
    toks = re.findall(r"[0-9]+|[a-z]+", s)
    return tuple(t.lstrip("0") or "0" if t.isdigit() else t for t in toks)


def code_key(code):
    """Topic code key: `1(a)` = `1a` = `1 (a)`, `1.1` = ` 1.1 `; `1.1` != `11`."""
    s = re.sub(r"\s+", "", str(code or "").lower())
    return tuple(t.lstrip("0") or "0" if t.isdigit() else t for t in re.findall(r"[0-9]+|[a-z]+", s))


class Syllabus:
    def __init__(self, doc):
        self.name = doc.get("syllabus")
        self.topics = doc["topics"]
        self.by_key = {}
        for t in self.topics:
            self.by_key.setdefault(code_key(t["code"]), t)
        self.children = {}
        for t in self.topics:
            if t.get("parent") is not None:
                self.children.setdefault(t["parent"], []).append(t["code"])

    def canonical(self, code):
        t = self.by_key.get(code_key(code))
        return t["code"] if t else None

    def section(self, code):
        t = self.by_key.get(code_key(code))
        if t is None:
            return None
        return t["parent"] if t.get("parent") is not None else t["code"]

    def is_leaf(self, code):
        return code in {t["code"] for t in self.topics} and code not in self.children


def load_syllabi(folder):
    out = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.json"))):
        doc = json.load(open(path, encoding="utf-8"))
        out[doc["syllabus"]] = Syllabus(doc)
    return out


def load_labels(folder):
    out = []
    for path in sorted(glob.glob(os.path.join(folder, "*.labels.json"))):
        out.append(json.load(open(path, encoding="utf-8")))
    return out


def topic_id_codes(syl):
    """{topic uuid: code} for a syllabus loaded by load_syllabus.py under its default id."""
    sid = uuid.uuid5(uuid.NAMESPACE_URL, "examq:syllabus:%s" % syl.name)
    return {str(uuid.uuid5(sid, t["code"])): t["code"] for t in syl.topics}


def predicted_codes(rows, syl=None):
    """{question key: [codes]} from prediction rows; later duplicate rows are ignored. A row
    without topic_codes but with topic_ids (uuids, as `examq questions --json` prints them) has
    them mapped back to codes when the syllabus was loaded under its default id."""
    got, ids = {}, None
    for r in rows:
        k = norm(r.get("question_number"))
        if not k or k in got:
            continue
        codes = r.get("topic_codes")
        if codes is None and r.get("topic_ids") and syl is not None:
            ids = ids if ids is not None else topic_id_codes(syl)
            codes = [ids.get(str(i).lower(), "?" + str(i)) for i in r["topic_ids"]]
        got[k] = [c for c in (codes or []) if str(c).strip()]
    return got


def lookup(got, key):
    """Codes for a labelled part: its own row, else its nearest ancestor row with codes."""
    if key in got:
        return got[key], False
    for n in range(len(key) - 1, 0, -1):
        codes = got.get(key[:n])
        if codes:
            return codes, True
    return [], False


def score_paper(label, rows, syl):
    got = predicted_codes(rows, syl)
    c = {"parts": 0, "top1": 0, "section": 0, "tp": 0, "npred": 0, "nlab": 0, "covered": 0,
         "inherited": 0, "unknown_codes": 0}
    for part in label["parts"]:
        want = [syl.canonical(x) or x for x in part["topics"]]
        codes, inherited = lookup(got, norm(part["number"]))
        pred = []
        for x in codes:
            canon = syl.canonical(x)
            if canon is None:
                c["unknown_codes"] += 1
                canon = "?" + str(x)
            if canon not in pred:
                pred.append(canon)
        c["parts"] += 1
        c["inherited"] += 1 if inherited and pred else 0
        if pred:
            c["covered"] += 1
            c["top1"] += pred[0] == want[0]
            sec = syl.section(pred[0])
            c["section"] += sec is not None and sec == syl.section(want[0])
        c["tp"] += len(set(pred) & set(want))
        c["npred"] += len(pred)
        c["nlab"] += len(want)
    return c


def rates(c):
    n = max(1, c["parts"])
    return {
        "parts": c["parts"],
        "top1": round(c["top1"] / n, 4),
        "section": round(c["section"] / n, 4),
        "precision": round(c["tp"] / c["npred"], 4) if c["npred"] else 0.0,
        "recall": round(c["tp"] / max(1, c["nlab"]), 4),
        "coverage": round(c["covered"] / n, 4),
        "inherited": c["inherited"],
        "unknown_codes": c["unknown_codes"],
    }


def add(total, c):
    for k, v in c.items():
        total[k] = total.get(k, 0) + v


def score_all(labels, predictions, syllabi, split="all"):
    """labels: list of label docs; predictions: {paper: rows}; returns the report dict."""
    papers, total, by_syl = [], {}, {}
    for lab in labels:
        if split != "all" and lab["split"] != split:
            continue
        c = score_paper(lab, predictions.get(lab["paper"], []), syllabi[lab["syllabus"]])
        papers.append(dict(paper=lab["paper"], syllabus=lab["syllabus"], split=lab["split"],
                           predicted=lab["paper"] in predictions, **rates(c)))
        add(total, c)
        add(by_syl.setdefault(lab["syllabus"], {}), c)
    return {"split": split, "papers": papers,
            "syllabi": {k: rates(v) for k, v in sorted(by_syl.items())},
            "overall": rates(total) if total else None}


def load_predictions(folder):
    out = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.json"))):
        name = os.path.basename(path)[:-len(".json")]
        rows = json.load(open(path, encoding="utf-8"))
        if isinstance(rows, dict):  # tolerate {"questions": [...]}
            rows = rows.get("questions", [])
        out[name] = rows
    return out


def print_table(rep):
    cols = ["parts", "top1", "section", "precision", "recall", "coverage"]
    print("%-24s %-9s %-6s " % ("paper", "syllabus", "split") + " ".join("%9s" % c for c in cols))
    for p in rep["papers"]:
        line = "%-24s %-9s %-6s " % (p["paper"], p["syllabus"], p["split"])
        print(line + " ".join("%9s" % p[c] for c in cols) + ("" if p["predicted"] else "  (no predictions file)"))
    for name, r in rep["syllabi"].items():
        print("%-24s %-9s %-6s " % ("subject", name, rep["split"]) + " ".join("%9s" % r[c] for c in cols))
    if rep["overall"]:
        r = rep["overall"]
        print("%-24s %-9s %-6s " % ("OVERALL", "", rep["split"]) + " ".join("%9s" % r[c] for c in cols)
              + "  inherited=%d unknown_codes=%d" % (r["inherited"], r["unknown_codes"]))


def default_truth_dir():
    base = os.environ.get("REALPAPERS") or os.path.join(HERE, "..", "..", "..", "shared", "realpapers")
    return os.path.join(base, "truth")


def validate(labels_dir, syllabi_dir, truth_dir):
    problems = []
    syllabi = {}
    for path in sorted(glob.glob(os.path.join(syllabi_dir, "*.json"))):
        doc = json.load(open(path, encoding="utf-8"))
        name = doc.get("syllabus")
        if os.path.basename(path) != "%s.json" % name:
            problems.append("%s: syllabus %r does not match the file name" % (path, name))
        seen = set()
        for t in doc.get("topics", []):
            if not t.get("code") or not t.get("title"):
                problems.append("%s: topic without code or title: %r" % (path, t))
                continue
            if t["code"] in seen:
                problems.append("%s: duplicate code %s" % (path, t["code"]))
            if t.get("parent") is not None and t["parent"] not in seen:
                problems.append("%s: %s has parent %s that is not listed before it" % (path, t["code"], t["parent"]))
            seen.add(t["code"])
        syllabi[name] = Syllabus(doc)
    files = sorted(glob.glob(os.path.join(labels_dir, "*.labels.json")))
    if not files:
        problems.append("%s: no labels files" % labels_dir)
    counts = {}
    compared = 0
    for path in files:
        lab = json.load(open(path, encoding="utf-8"))
        where = os.path.basename(path)
        if where != "%s.labels.json" % lab.get("paper"):
            problems.append("%s: paper %r does not match the file name" % (where, lab.get("paper")))
        syl = syllabi.get(lab.get("syllabus"))
        if syl is None:
            problems.append("%s: unknown syllabus %r" % (where, lab.get("syllabus")))
            continue
        if lab.get("split") not in ("tune", "check"):
            problems.append("%s: split must be tune or check, not %r" % (where, lab.get("split")))
        keys = set()
        for part in lab.get("parts", []):
            k = norm(part.get("number"))
            if not k:
                problems.append("%s: part without a number" % where)
            if k in keys:
                problems.append("%s: duplicate part %s" % (where, part.get("number")))
            keys.add(k)
            topics = part.get("topics") or []
            if not 1 <= len(topics) <= 2 or len(set(topics)) != len(topics):
                problems.append("%s: part %s needs 1 or 2 distinct topics, has %r" % (where, part.get("number"), topics))
            for code in topics:
                if not syl.is_leaf(code):
                    problems.append("%s: part %s: %r is not a leaf topic of %s" % (where, part.get("number"), code, syl.name))
        for k in keys:
            if any(o != k and o[:len(k)] == k for o in keys):
                problems.append("%s: part %s is a parent of another part (label leaves only)" % (where, ".".join(k)))
        truth = os.path.join(truth_dir, "%s.truth.json" % lab.get("paper"))
        if os.path.exists(truth):
            compared += 1
            want = {norm(q["number"]) for q in json.load(open(truth, encoding="utf-8"))["questions"]}
            if want != keys:
                problems.append("%s: parts differ from the truth: missing %s, extra %s" % (
                    where, sorted(".".join(k) for k in want - keys), sorted(".".join(k) for k in keys - want)))
        s = counts.setdefault(lab.get("split"), [0, 0])
        s[0] += 1
        s[1] += len(lab.get("parts", []))
    for p in problems:
        print("PROBLEM " + p)
    print("validated %d labels files against %d syllabi (%d compared with their truth in %s): %s; %d problem(s)" % (
        len(files), len(syllabi), compared, truth_dir,
        ", ".join("%s %d papers %d parts" % (k, v[0], v[1]) for k, v in sorted(counts.items())), len(problems)))
    return not problems


def self_test():
    syl = Syllabus({"syllabus": "t", "topics": [
        {"code": "1", "title": "A", "parent": None},
        {"code": "1.1", "title": "A1", "parent": "1"},
        {"code": "1.2", "title": "A2", "parent": "1"},
        {"code": "2", "title": "B", "parent": None},
        {"code": "2(a)", "title": "B1", "parent": "2"},
        {"code": "3", "title": "C (no subtopics)", "parent": None}]})
    lab = {"paper": "p", "syllabus": "t", "split": "check", "parts": [
        {"number": "1(a)", "topics": ["1.1"]},
        {"number": "1(b)", "topics": ["1.2", "2(a)"]},
        {"number": "2", "topics": ["3"]},
        {"number": "3(a)(i)", "topics": ["2(a)"]}]}
    syllabi = {"t": syl}
    checks = []

    def run(rows):
        return score_all([lab], {"p": rows}, syllabi)["overall"]

    def check(name, got, want):
        checks.append((name, got == want, got, want))

    perfect = [{"question_number": p["number"], "topic_codes": p["topics"]} for p in lab["parts"]]
    r = run(perfect)
    for k in ("top1", "section", "precision", "recall", "coverage"):
        check("perfect %s" % k, r[k], 1.0)
    r = run([])
    for k in ("top1", "section", "precision", "recall", "coverage"):
        check("empty %s" % k, r[k], 0.0)
    r = score_all([lab], {}, syllabi)["overall"]
    check("no predictions file counts as empty", (r["top1"], r["coverage"]), (0.0, 0.0))
    # Every part tagged with a topic of another section.
    wrong = [{"question_number": "1(a)", "topic_codes": ["2(a)"]},
             {"question_number": "1(b)", "topic_codes": ["3"]},
             {"question_number": "2", "topic_codes": ["1.1"]},
             {"question_number": "3(a)(i)", "topic_codes": ["1.2"]}]
    r = run(wrong)
    check("wrong section: section", r["section"], 0.0)
    check("wrong section: top1", r["top1"], 0.0)
    check("wrong section: coverage", r["coverage"], 1.0)
    # Right section, wrong leaf: 1(a) says 1.2 (section 1 = 1).
    r = run([{"question_number": "1(a)", "topic_codes": ["1.2"]}])
    check("same section other leaf: section", r["section"], 0.25)
    check("same section other leaf: top1", r["top1"], 0.0)
    # A topic without subtopics is its own section.
    r = run([{"question_number": "2", "topic_codes": ["3"]}])
    check("parentless topic is its own section", (r["top1"], r["section"]), (0.25, 0.25))
    # Number and code normalising: `Q1 (a)` = `1(a)`, `3a(i)` = `3(a)(i)`, `2a` = `2(a)`.
    r = run([{"question_number": "Q1 (a)", "topic_codes": [" 1.1 "]},
             {"question_number": "3a(i)", "topic_codes": ["2a"]}])
    check("normalised numbers and codes", (r["top1"], r["coverage"]), (0.5, 0.5))
    # Precision and recall over sets: 1(b) predicted [1.2, 1.1]: tp 1 of 2 predicted codes, 1 of the
    # 5 labelled codes of the paper.
    r = run([{"question_number": "1(b)", "topic_codes": ["1.2", "1.1"]}])
    check("set precision", r["precision"], 0.5)
    check("set recall", r["recall"], 0.2)
    # A part inherits its ancestor row's codes; an unknown code is wrong and counted.
    r = run([{"question_number": "1", "topic_codes": ["1.1"]},
             {"question_number": "1(b)", "topic_codes": ["9.9"]}])
    check("inherit from the parent row", (r["top1"], r["inherited"], r["unknown_codes"]), (0.25, 1, 1))
    check("unknown code is not covered as right", r["section"], 0.25)
    # topic_ids (uuids of load_syllabus.py's default ids) instead of topic_codes.
    ids = {c: i for i, c in topic_id_codes(syl).items()}
    r = run([{"question_number": "1(a)", "topic_ids": [ids["1.1"]]},
             {"question_number": "1(b)", "topic_ids": [ids["1.2"].upper(), "00000000-0000-0000-0000-000000000000"]}])
    check("topic_ids mapped to codes", (r["top1"], r["unknown_codes"]), (0.5, 1))
    # Split filter.
    check("split filter", score_all([lab], {"p": perfect}, syllabi, "tune")["overall"], None)
    bad = [c for c in checks if not c[1]]
    for name, ok, got, want in checks:
        print("%s %s%s" % ("ok  " if ok else "FAIL", name, "" if ok else ": got %r, want %r" % (got, want)))
    print("self-test: %d checks, %d failed" % (len(checks), len(bad)))
    return not bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--labels", default=os.path.join(HERE, "labels"))
    ap.add_argument("--predictions")
    ap.add_argument("--syllabi", default=os.path.join(HERE, "syllabi"))
    ap.add_argument("--truth", default=None)
    ap.add_argument("--split", choices=["tune", "check", "all"], default="all")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--validate", action="store_true")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        return 0 if self_test() else 1
    if a.validate:
        return 0 if validate(a.labels, a.syllabi, a.truth or default_truth_dir()) else 1
    if not a.predictions:
        ap.error("--predictions DIR is required (or --validate / --self-test)")
    rep = score_all(load_labels(a.labels), load_predictions(a.predictions), load_syllabi(a.syllabi), a.split)
    if a.json:
        print(json.dumps(rep, indent=1))
    else:
        print_table(rep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
