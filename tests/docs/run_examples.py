#!/usr/bin/python3
"""Runs every command example of README.md and docs/cli.md against a real examq (issue 20).

The convention, for people writing docs, is in docs/testing.md ("Documented examples"). In short:
every ```sh (or ```console) block is run, in order, by bash with `set -e`, in one scratch
directory holding the sample paper under the names the examples use, against a private cluster
that `examq up` starts in a fresh EXAMQ_HOME, with a worker running; a block that shows output
(a fence with no language) is checked against the output of the command its directive names.
Directives are HTML comments just before a block:

    <!-- example: skip REASON -->          not run (a reason is required)
    <!-- example: exit N -->               the block (or the output command) must exit N, not 0
    <!-- example: before: SHELL -->        hidden setup run first
    <!-- example: output of: SHELL -->     for an output block: the command whose output it shows
    <!-- example: any: WORD ... -->        words of an output block that vary (as numbers do)
    <!-- example: replace: OLD => NEW -->  a placeholder of this block only

Usage: run_examples.py [--examq PATH] [--make-exam-paper PATH] [--source DIR] [FILE.md ...]
Environment: EXAMQ_BIN or EXAMQ_BIN_BUILT (the binary), EXAMQ_DOC_KEEP=1 keeps the scratch dir.
Exit 0 when every example passed, 1 otherwise; each failure names FILE:LINE.
"""

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
RUN_LANGS = {"sh", "bash", "shell", "console"}
OUTPUT_LANGS = {"", "text", "output"}
BLOCK_TIMEOUT = 180
DIRECTIVE = re.compile(r"^\s*<!--\s*example:\s*(.*?)\s*-->\s*$")
FENCE = re.compile(r"^(\s*)```\s*([A-Za-z0-9_+-]*)\s*$")
# Names the examples give files: each is a copy of the sample paper in the scratch directory.
PDF_NAMES = ["paper.pdf", "paper1.pdf", "paper2.pdf", "more.pdf", "insert.pdf"]


class Block:
    def __init__(self, path, line, lang, text, directives):
        self.path, self.line, self.lang, self.text = path, line, lang, text
        self.skip = None
        self.exit = 0
        self.before = []
        self.output_of = None
        self.any = set()
        self.replace = []
        self.problems = []
        for d_line, d in directives:
            m = re.match(r"(skip|exit|before|output of|any|replace)\b:?\s*(.*)$", d)
            if not m:
                self.problems.append(f"{path}:{d_line}: unknown example directive: {d}")
                continue
            key, arg = m.group(1), m.group(2).strip()
            if key == "skip":
                if not arg:
                    self.problems.append(f"{path}:{d_line}: `skip` needs a reason")
                self.skip = arg
            elif key == "exit":
                if not arg.isdigit():
                    self.problems.append(f"{path}:{d_line}: `exit` takes a number")
                else:
                    self.exit = int(arg)
            elif key == "before":
                self.before.append(arg)
            elif key == "output of":
                self.output_of = arg
            elif key == "any":
                self.any.update(arg.split())
            elif key == "replace":
                old, sep, new = arg.partition("=>")
                if not sep or not old.strip():
                    self.problems.append(f"{path}:{d_line}: `replace` takes OLD => NEW")
                else:
                    self.replace.append((old.strip(), new.strip()))

    @property
    def where(self):
        return f"{self.path}:{self.line}"


def parse(path, display):
    """The fenced blocks of a Markdown file, each with the directives just before it, and the
    problems found (a directive followed by something else than a block)."""
    blocks, pending, problems = [], [], []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        d = DIRECTIVE.match(line)
        if d:
            pending.append((i + 1, d.group(1)))
            i += 1
            continue
        m = FENCE.match(line)
        if m:
            indent, lang = m.group(1), m.group(2).lower()
            body, j = [], i + 1
            while j < len(lines) and not re.match(r"^\s*```\s*$", lines[j]):
                body.append(lines[j][len(indent):] if lines[j].startswith(indent) else lines[j])
                j += 1
            blocks.append(Block(display, i + 1, lang, "\n".join(body), pending))
            pending = []
            i = j + 1
            continue
        if line.strip():
            # A directive belongs to the block right after it (blank lines allowed).
            problems += [f"{display}:{n}: the directive is not followed by a fenced block" for n, _ in pending]
            pending = []
        i += 1
    problems += [f"{display}:{n}: the directive is not followed by a fenced block" for n, _ in pending]
    return blocks, problems


# --- placeholders --------------------------------------------------------------------------------


class Placeholders:
    """What the made-up values in examples stand for here (docs/testing.md lists them)."""

    def __init__(self, ctx):
        self.ctx = ctx

    def apply(self, text, block):
        for old, new in block.replace:
            text = text.replace(old, new)
        c = self.ctx
        text = re.sub(r"postgres(ql)?://[^\s\"']+", c["uri"], text)
        text = re.sub(r"\bYOURDB\b", "'" + c["yourdb"] + "'", text)
        text = re.sub(r"\bJOB_ID\b", c["job_id"], text)
        text = re.sub(r"\bEXAM_PAPER_ID\b", c["paper_id"], text)
        text = re.sub(r"4b0c…(-…)?", c["paper_id"], text)
        text = re.sub(r"(EXAMQ_JWT_SECRET=)…", r"\g<1>" + c["secret"], text)
        text = text.replace("127.0.0.1:8080", f"127.0.0.1:{c['port']}")
        return text


# --- synopses ------------------------------------------------------------------------------------


def is_synopsis(text):
    first = text.lstrip().split("\n", 1)[0]
    return first.startswith("examq ") and "[" in text


def strip_optional(text):
    """`examq submit paper.pdf [more.pdf ...] [--json]` -> `examq submit paper.pdf`."""
    prev = None
    while prev != text:
        prev = text
        text = re.sub(r"\[[^\[\]]*\]", "", text)
    return re.sub(r"\s+", " ", text).strip()


# --- output --------------------------------------------------------------------------------------


def token_pattern(shown, any_words):
    """A regular expression for one word of a shown output line."""
    if shown in any_words:
        return r"\S+"
    # Numbers, ids and times are examples of their kind; `…` elides anything, spaces included.
    pieces = shown.split("…")
    if len(pieces) == 1 and re.search(r"[0-9]", shown):
        return r"\S+"
    return ".*?".join(r"\S*" if re.search(r"[0-9]", p) else re.escape(p) for p in pieces)


def line_matches(shown, actual, any_words):
    pattern = r"\s+".join(token_pattern(t, any_words) for t in shown.split())
    return re.fullmatch(r"\s*" + pattern + r"\s*", actual) is not None


def check_output(shown_text, actual_text, any_words):
    """The shown lines that no line of the actual output matches."""
    actual = [l for l in actual_text.split("\n") if l.strip()]
    return [s for s in shown_text.split("\n") if s.strip() and not any(line_matches(s, a, any_words) for a in actual)]


# --- running -------------------------------------------------------------------------------------


class Runner:
    def __init__(self, examq, make_paper, source, tmp):
        self.examq, self.make_paper, self.source, self.tmp = examq, make_paper, source, tmp
        self.work = os.path.join(tmp, "work")
        self.env = None
        self.passed = self.failed = self.skipped = 0
        self.verbose = False

    def fail(self, where, what, output=""):
        self.failed += 1
        print(f"FAIL {where}: {what}" if where else f"FAIL {what}")
        if output.strip():
            tail = output.rstrip("\n").split("\n")[-40:]
            print("\n".join("    | " + l for l in tail))

    def bash(self, script, timeout=BLOCK_TIMEOUT, strict=True, where=None, setup=()):
        """Runs setup lines, then a script, after the prelude in their own process group; returns
        (rc, output). `where` (FILE, LINE before the script's first line) names a failing line."""
        path = os.path.join(self.tmp, "example.sh")
        header = 3 + len(setup)
        with open(path, "w", encoding="utf-8") as f:
            f.write("source " + os.path.join(HERE, "prelude.sh") + "\n")
            for line in setup:
                f.write(line + "\n")
            if strict:
                f.write("set -eo pipefail\n")
                file, line = where or ("line", 0)
                f.write(f"trap 'echo \"examples: {file}:$((LINENO + {line - header})) failed (exit $?)\" >&2' ERR\n")
            else:
                f.write("\n\n")
            f.write(script + "\n")
        # Output to a file, not a pipe: what an example leaves in the background (`examq serve
        # ... &`) would hold a pipe open after the script has ended.
        log = os.path.join(self.tmp, "example.out")
        with open(log, "wb") as out:
            p = subprocess.Popen(["bash", path], cwd=self.work, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, start_new_session=True)
            try:
                rc = p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                rc = None
        # Whatever the example left running ends with it.
        try:
            os.killpg(p.pid, signal.SIGTERM if rc is not None else signal.SIGKILL)
        except ProcessLookupError:
            pass
        with open(log, encoding="utf-8", errors="replace") as f:
            text = f.read()
        if rc is None:
            text += f"\nexamples: timed out after {timeout} s"
        return rc, text

    def must(self, args, **kw):
        r = subprocess.run(args, cwd=self.work, env=self.env, capture_output=True, text=True, **kw)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} exited {r.returncode}:\n{r.stdout}{r.stderr}")
        return r.stdout

    def setup(self):
        os.makedirs(self.work)
        for name in ("sql", "docs", "ci"):
            os.symlink(os.path.join(self.source, name), os.path.join(self.work, name))
        sample = os.path.join(self.source, "docs", "samples", "sample-exam-paper.pdf")
        for name in PDF_NAMES:
            shutil.copy(sample, os.path.join(self.work, name))
        # scan.pdf: the sample paper scanned (image-only pages), for an example that needs a job
        # slow enough (OCR) to be seen between its steps.
        self.must([self.make_paper, "--layout", "sample", "--scan", "--out", os.path.join(self.work, "scan.pdf")])
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("PG") and k not in ("EXAMQ_DB", "DATABASE_URL", "EXAMQ_JWT_SECRET")}
        env["EXAMQ_HOME"] = os.path.join(self.work, ".examq")
        env["EXAMQ_DOC_BIN"] = self.examq
        env["EXAMQ_DOC_TMP"] = self.tmp
        env["EXAMQ_DOC_READY_SECONDS"] = "30"
        env["PATH"] = os.path.dirname(self.examq) + os.pathsep + env.get("PATH", "/usr/bin:/bin")
        self.env = env

        self.must([self.examq, "up"])
        conninfo = open(os.path.join(env["EXAMQ_HOME"], "connection")).read().split()
        kv = dict(item.split("=", 1) for item in conninfo)
        uri = f"postgresql://{kv['user']}@{kv['host']}:{kv['port']}/{kv['dbname']}"
        yourdb = f"host={kv['host']} port={kv['port']} user={kv['user']} dbname=examq_docs_yourdb"
        self.must(["psql", "-q", "-d", uri, "-c", "CREATE DATABASE examq_docs_yourdb"])

        # The state the examples talk about. JOB_ID: a failed job that `examq retry` puts back and
        # `examq cancel` then stops (a slow noop, failed by hand before any worker runs).
        job_id = self.must(["psql", "-qAt", "-v", "ON_ERROR_STOP=1", "-d", uri, "-c",
                            "INSERT INTO processing_jobs (job_type, payload, max_retries) "
                            "VALUES ('noop', '{\"sleep_ms\": 600000, \"steps\": 600}', 0) RETURNING id"]).split()[0]
        self.must(["psql", "-qAt", "-v", "ON_ERROR_STOP=1", "-d", uri, "-c",
                   "SELECT fail_processing_job(id, 'a failure for the documented examples', true, NULL, "
                   "'examq-docs', attempts) FROM get_next_processing_jobs(1, 'examq-docs', ARRAY['noop'])"])
        rc, out = self.bash("doc_worker_start", strict=False)
        if rc != 0:
            raise RuntimeError(out)
        # EXAM_PAPER_ID: a processed paper.
        answer = json.loads(self.must([self.examq, "submit", "paper.pdf", "--wait", "--json"], timeout=300))
        paper_id = answer[0].get("examPaperId") or answer[0].get("exam_paper_id")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.placeholders = Placeholders({"uri": uri, "yourdb": yourdb, "job_id": job_id, "paper_id": paper_id,
                                          "secret": secrets.token_hex(32), "port": port})

    def teardown(self):
        if self.env is None:
            return
        self.bash("doc_worker_stop", strict=False)
        subprocess.run([self.examq, "down"], cwd=self.work, env=self.env, capture_output=True, timeout=120)

    def run_block(self, block):
        for p in block.problems:
            self.fail(None, p)
        if block.problems:
            return
        if block.skip is not None:
            self.skipped += 1
            print(f"skip {block.where}: {block.skip}")
            return
        if block.lang in OUTPUT_LANGS:
            return self.run_output(block)
        if block.lang not in RUN_LANGS:
            return
        text, shown = block.text, ""
        if block.lang == "console":  # `$ command` lines; the rest is their output
            lines = text.split("\n")
            # Output lines become blank ones, so that line numbers still point into the doc.
            text = "\n".join(l[2:] if l.startswith("$ ") else "" for l in lines)
            shown = "\n".join(l for l in lines if not l.startswith("$ "))
        synopsis = is_synopsis(text)
        if synopsis:
            if not self.check_synopsis(block, text):
                return
            text = "\n".join(strip_optional(c) for c in self.commands(text))
        rc, out = self.bash(self.placeholders.apply(text, block), where=(block.path, block.line),
                            setup=[self.placeholders.apply(b, block) for b in block.before])
        missing = check_output(shown, out, block.any)
        if rc != block.exit:
            what = " (the synopsis without its optional parts)" if synopsis else ""
            # The ERR trap names the line that failed; quote it from the doc.
            failed = re.search(r"examples: .*:(\d+) failed \(exit", out)
            lines = block.text.split("\n")
            n = int(failed.group(1)) - block.line - 1 if failed else -1
            if not synopsis and 0 <= n < len(lines):
                what += f"; line {block.line + 1 + n} failed: {lines[n].strip()}"
            self.fail(block.where, f"exited {rc}, expected {block.exit}{what}", out)
        elif missing:
            self.fail(block.where, "its output has no line like:\n" + "\n".join("    > " + m for m in missing)
                      + "\n  it printed:", out)
        else:
            self.passed += 1
            print(f"ok   {block.where}")
            if self.verbose:
                print("\n".join("    | " + l for l in out.rstrip("\n").split("\n")))

    @staticmethod
    def commands(text):
        """A synopsis block's commands, continuation lines joined."""
        cmds = []
        for line in text.split("\n"):
            if line.startswith("examq "):
                cmds.append(line)
            elif line.strip() and cmds:
                cmds[-1] += " " + line.strip()
        return cmds

    def check_synopsis(self, block, text):
        ok = True
        for cmd in self.commands(text):
            sub = cmd.split()[1]
            r = subprocess.run([self.examq, sub, "--help"], env=self.env, capture_output=True, text=True)
            helptext = r.stdout + r.stderr
            for flag in sorted(set(re.findall(r"--[a-z][a-z0-9-]*", cmd))):
                if not re.search(re.escape(flag) + r"\b", helptext):
                    self.fail(block.where, f"`examq {sub} --help` has no {flag}", helptext)
                    ok = False
        return ok

    def run_output(self, block):
        if block.output_of is None:
            self.fail(block.where, "an output block needs <!-- example: output of: COMMAND --> "
                                   "(or <!-- example: skip REASON -->)")
            return
        rc, out = self.bash(self.placeholders.apply(block.output_of, block), strict=False,
                            setup=[self.placeholders.apply(b, block) for b in block.before])
        if rc != block.exit:
            self.fail(block.where, f"`{block.output_of}` exited {rc}, expected {block.exit}", out)
            return
        missing = check_output(block.text, out, block.any)
        if missing:
            self.fail(block.where, "the output of `" + block.output_of + "` has no line like:\n"
                      + "\n".join("    > " + m for m in missing) + "\n  it printed:", out)
        else:
            self.passed += 1
            print(f"ok   {block.where} (output of `{block.output_of}`)")
            if self.verbose:
                print("\n".join("    | " + l for l in out.rstrip("\n").split("\n")))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--examq", default=os.environ.get("EXAMQ_BIN_BUILT") or os.environ.get("EXAMQ_BIN"))
    ap.add_argument("--make-exam-paper", help="tests/fixtures' make-exam-paper (default: beside examq's build)")
    ap.add_argument("--source", default=os.path.dirname(os.path.dirname(HERE)))
    ap.add_argument("-v", "--verbose", action="store_true", help="print every example's output")
    ap.add_argument("files", nargs="*", default=["README.md", "docs/cli.md"])
    a = ap.parse_args()
    if not a.examq or not os.access(a.examq, os.X_OK):
        print("run_examples.py: no examq binary (--examq, EXAMQ_BIN_BUILT or EXAMQ_BIN)", file=sys.stderr)
        return 2
    make_paper = a.make_exam_paper or os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(a.examq))),
                                                   "tests", "fixtures", "make-exam-paper")
    if not os.access(make_paper, os.X_OK):
        print(f"run_examples.py: no make-exam-paper at {make_paper} (--make-exam-paper)", file=sys.stderr)
        return 2
    source = os.path.abspath(a.source)
    tmp = tempfile.mkdtemp(prefix="examq-doc-")
    os.chmod(tmp, 0o755)  # examq up as root runs PostgreSQL as `postgres`, which must reach it
    runner = Runner(os.path.abspath(a.examq), os.path.abspath(make_paper), source, tmp)
    runner.verbose = a.verbose
    try:
        runner.setup()
        for f in a.files:
            blocks, problems = parse(os.path.join(source, f), f)
            for p in problems:
                runner.fail(None, p)
            for block in blocks:
                runner.run_block(block)
    except Exception as e:  # setup failed: nothing else can run
        runner.fail("setup", str(e))
    finally:
        runner.teardown()
        if os.environ.get("EXAMQ_DOC_KEEP") == "1":
            print(f"scratch directory kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"\ndocumented examples: {runner.passed} passed, {runner.failed} failed, {runner.skipped} skipped")
    return 0 if runner.failed == 0 and runner.passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
