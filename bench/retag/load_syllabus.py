#!/usr/bin/env python3
"""Loads a syllabus json (bench/retag/syllabi/NAME.json) into syllabus_topics.

Usage:
  load_syllabus.py SYLLABUS.json [--syllabus-id UUID] [--replace] [--apply [psql options...]]

Without --apply it prints a psql script (run it with `psql -X -f FILE` or pipe it into psql);
with --apply it runs psql itself (PG* environment; anything after --apply goes to psql, e.g.
`--apply -d mydb`) and prints the number of topics the syllabus then has.

--syllabus-id  the syllabus_id of the rows; default uuid5(NAMESPACE_URL, "examq:syllabus:NAME"),
               so the same syllabus always gets the same id.
--replace      delete the syllabus's rows first (same transaction). Without it, loading a
               syllabus that is already there fails on the primary key and changes nothing.

Each topic's id is uuid5(syllabus_id, code): reloading with --replace gives the topics the same
ids, so questions.topic_ids stay valid. parent_id is the id of the parent code, position is the
topic's place in the json list (1-based); rows are inserted in list order, parents first (the file
lists every parent before its children; checked here).

The text never goes into the SQL: the topics travel as one psql variable (:'json', which psql
quotes as a literal) read by a single INSERT ... SELECT FROM jsonb_to_recordset(:'json'::jsonb).
In the printed script the variable is set with \\set, escaped for psql's single-quoted
meta-command arguments (backslash and quote). Python 3 standard library only.
"""
import argparse
import json
import subprocess
import sys
import uuid

SQL_BODY = r"""BEGIN;
{delete}INSERT INTO syllabus_topics (id, syllabus_id, parent_id, code, title, description, position)
SELECT t.id, :'syllabus_id'::uuid, t.parent_id, t.code, t.title, t.description, t.position
FROM jsonb_to_recordset(:'json'::jsonb)
       AS t(id uuid, parent_id uuid, code text, title text, description text, position integer)
ORDER BY t.position;
SELECT count(*) AS topics FROM syllabus_topics WHERE syllabus_id = :'syllabus_id'::uuid;
COMMIT;
"""
DELETE = "DELETE FROM syllabus_topics WHERE syllabus_id = :'syllabus_id'::uuid;\n"


def default_syllabus_id(name):
    return uuid.uuid5(uuid.NAMESPACE_URL, "examq:syllabus:%s" % name)


def rows_of(doc, syllabus_id):
    """The topics as syllabus_topics rows; raises ValueError on a malformed syllabus."""
    ids, rows = {}, []
    for pos, t in enumerate(doc.get("topics") or [], start=1):
        code, title = t.get("code"), t.get("title")
        if not isinstance(code, str) or not code.strip() or not isinstance(title, str) or not title.strip():
            raise ValueError("topic %d needs a code and a title" % pos)
        if code in ids:
            raise ValueError("duplicate code %r" % code)
        parent = t.get("parent")
        if parent is not None and parent not in ids:
            raise ValueError("topic %r: parent %r is not listed before it" % (code, parent))
        ids[code] = str(uuid.uuid5(syllabus_id, code))
        rows.append({"id": ids[code], "parent_id": ids[parent] if parent is not None else None,
                     "code": code, "title": title, "description": t.get("description"),
                     "position": pos})
    if not rows:
        raise ValueError("no topics")
    return rows


def psql_quote(value):
    """A psql meta-command single-quoted argument (\\set NAME 'value')."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("syllabus")
    ap.add_argument("--syllabus-id", type=uuid.UUID)
    ap.add_argument("--replace", action="store_true")
    ap.add_argument("--apply", nargs=argparse.REMAINDER, metavar="PSQL_OPTION")
    a = ap.parse_args()
    doc = json.load(open(a.syllabus, encoding="utf-8"))
    sid = a.syllabus_id or default_syllabus_id(doc.get("syllabus") or "")
    try:
        rows = rows_of(doc, sid)
    except ValueError as e:
        print("load_syllabus: %s: %s" % (a.syllabus, e), file=sys.stderr)
        return 2
    payload = json.dumps(rows, ensure_ascii=True, separators=(",", ":"))
    body = SQL_BODY.format(delete=DELETE if a.replace else "")
    if a.apply is None:
        sys.stdout.write("-- syllabus %s (%d topics) from %s, by bench/retag/load_syllabus.py\n"
                         % (doc.get("syllabus"), len(rows), a.syllabus))
        sys.stdout.write("\\set ON_ERROR_STOP on\n")
        sys.stdout.write("\\set syllabus_id %s\n" % psql_quote(str(sid)))
        sys.stdout.write("\\set json %s\n" % psql_quote(payload))
        sys.stdout.write(body)
        return 0
    cmd = ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-v", "syllabus_id=%s" % sid,
           "-v", "json=%s" % payload] + a.apply
    done = subprocess.run(cmd, input=body, text=True, stdout=subprocess.PIPE)
    if done.returncode != 0:
        print("load_syllabus: psql failed (exit %d); nothing was loaded" % done.returncode, file=sys.stderr)
        return 1
    count = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "?"
    print("syllabus %s: %s topics under syllabus_id %s" % (doc.get("syllabus"), count, sid))
    return 0


if __name__ == "__main__":
    sys.exit(main())
