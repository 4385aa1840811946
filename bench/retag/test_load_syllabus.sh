#!/usr/bin/env bash
# Tests bench/retag/load_syllabus.py against a real syllabus_topics table.
#
#   bench/retag/test_load_syllabus.sh
#
# Uses the PostgreSQL of the PG* environment when PGPORT is set (it needs createdb/dropdb
# rights), otherwise starts a throwaway cluster with ci/pgcluster and stops it on exit. Loads
# sql/install.sql into a scratch database, then checks: the printed script loads every topic of
# syllabi/cie-9618.json (row count, parent links, positions, deterministic ids); loading it again
# without --replace fails and changes nothing; --apply --replace reloads the same ids; a syllabus
# whose text holds quotes, backslashes, psql variable syntax and SQL arrives byte for byte.
# Prints `ok ...` per check and exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=bench/retag
tmp=$(mktemp -d)
cluster=""
cleanup() {
  if [ -n "${PGPORT:-}" ] && [ -n "${db:-}" ]; then dropdb --if-exists "$db" >/dev/null 2>&1 || true; fi
  if [ -n "$cluster" ]; then ci/pgcluster stop "$cluster/data" >/dev/null 2>&1 || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
if [ -z "${PGPORT:-}" ]; then
  cluster=$tmp/pg
  mkdir -p "$cluster" && chmod 755 "$tmp" "$cluster"
  PGPORT=$(ci/pgcluster start "$cluster/data" | tail -n1)
  export PGHOST=127.0.0.1 PGPORT PGUSER=${PGUSER:-$( [ "$(id -u)" = 0 ] && echo postgres || id -un)}
fi
db=retag_load_test_$$
createdb "$db"
export PGDATABASE=$db
psql -X -q -v ON_ERROR_STOP=1 -f sql/install.sql >/dev/null

fail() { echo "FAIL $*" >&2; exit 1; }
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }

syl=$here/syllabi/cie-9618.json
want=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["topics"]))' "$syl")
sid=$(python3 -c 'import sys,uuid; print(uuid.uuid5(uuid.NAMESPACE_URL, "examq:syllabus:cie-9618"))')

python3 $here/load_syllabus.py "$syl" > "$tmp/load.sql"
psql -X -q -v ON_ERROR_STOP=1 -f "$tmp/load.sql" >/dev/null
got=$(q "SELECT count(*) FROM syllabus_topics WHERE syllabus_id = '$sid'")
[ "$got" = "$want" ] || fail "printed script loaded $got topics, want $want"
echo "ok printed script loads $got topics under the default syllabus id"

got=$(q "SELECT count(*) FROM syllabus_topics c JOIN syllabus_topics p ON p.id = c.parent_id
         WHERE c.syllabus_id = '$sid' AND c.code LIKE p.code || '.%'")
want_children=$(python3 -c 'import json,sys; print(sum(t["parent"] is not None for t in json.load(open(sys.argv[1]))["topics"]))' "$syl")
[ "$got" = "$want_children" ] || fail "$got children linked to their parent, want $want_children"
got=$(q "SELECT string_agg(code, ' ' ORDER BY position) FROM (SELECT code, position FROM syllabus_topics
         WHERE syllabus_id = '$sid' ORDER BY position LIMIT 3) s")
[ "$got" = "1 1.1 1.2" ] || fail "first positions are '$got'"
echo "ok parent links ($got ...) and positions in list order"
want_id=$(python3 -c 'import sys,uuid; print(uuid.uuid5(uuid.UUID(sys.argv[1]), "13.3"))' "$sid")
got=$(q "SELECT id FROM syllabus_topics WHERE syllabus_id = '$sid' AND code = '13.3'")
[ "$got" = "$want_id" ] || fail "topic 13.3 has id $got, want uuid5(syllabus id, code) = $want_id"
echo "ok topic ids are uuid5(syllabus id, code), as score.py maps topic_ids back to codes"

ids_before=$(q "SELECT md5(string_agg(id::text || code, ',' ORDER BY code)) FROM syllabus_topics WHERE syllabus_id = '$sid'")
if psql -X -q -v ON_ERROR_STOP=1 -f "$tmp/load.sql" >/dev/null 2>&1; then fail "a second load without --replace succeeded"; fi
got=$(q "SELECT count(*) FROM syllabus_topics WHERE syllabus_id = '$sid'")
[ "$got" = "$want" ] || fail "a failed second load left $got topics, want $want"
echo "ok loading again without --replace fails and leaves $got topics"

python3 $here/load_syllabus.py "$syl" --replace --apply >/dev/null
got=$(q "SELECT count(*) FROM syllabus_topics WHERE syllabus_id = '$sid'")
ids_after=$(q "SELECT md5(string_agg(id::text || code, ',' ORDER BY code)) FROM syllabus_topics WHERE syllabus_id = '$sid'")
[ "$got" = "$want" ] && [ "$ids_before" = "$ids_after" ] || fail "--apply --replace: $got topics, ids same: $([ "$ids_before" = "$ids_after" ] && echo yes || echo no)"
echo "ok --apply --replace reloads $got topics with the same ids"

cat > "$tmp/nasty.json" <<'EOF'
{"syllabus": "nasty", "title": "t", "source": "test", "topics": [
 {"code": "1", "title": "O'Brien's \\ \"quotes\" :'json' :json", "description": "'); DROP TABLE syllabus_topics; --", "parent": null},
 {"code": "1.1", "title": "\\set x 1\nsecond line é ü", "description": null, "parent": "1"}]}
EOF
nid=00000000-0000-4000-8000-000000000001
python3 $here/load_syllabus.py "$tmp/nasty.json" --syllabus-id $nid > "$tmp/nasty.sql"
psql -X -q -v ON_ERROR_STOP=1 -f "$tmp/nasty.sql" >/dev/null
python3 $here/load_syllabus.py "$tmp/nasty.json" --syllabus-id $nid --replace --apply >/dev/null
got=$(psql -X -q -A -t -v ON_ERROR_STOP=1 -c "SELECT json_agg(json_build_array(code, title, description) ORDER BY position)
      FROM syllabus_topics WHERE syllabus_id = '$nid'")
python3 - "$tmp/nasty.json" "$got" <<'EOF' || fail "text did not round-trip"
import json, sys
doc = json.load(open(sys.argv[1]))
want = [[t["code"], t["title"], t["description"]] for t in doc["topics"]]
got = json.loads(sys.argv[2])
if got != want:
    print("got  %r\nwant %r" % (got, want), file=sys.stderr)
    sys.exit(1)
EOF
[ "$(q "SELECT count(*) FROM syllabus_topics WHERE syllabus_id = '$sid'")" = "$want" ] || fail "the other syllabus changed"
echo "ok quotes, backslashes, psql variables and SQL in the text round-trip (printed and --apply), other syllabi untouched"
echo "all checks passed"
