#!/usr/bin/env python3
"""Checks JSON the examq binary printed against one of docs/schemas/*.schema.json.

Usage: validate_json.py SCHEMA FILE [--lines]
  FILE holds one JSON document, or with --lines one per line (newline-delimited JSON: watch
  --json, errors on stderr); every line must be valid. References between the schemas
  ("job-row.schema.json") resolve to the files beside SCHEMA.
Exit 0 when everything is valid, 1 with one line per violation otherwise, 2 on bad usage.
Needs python3-jsonschema (Debian; ci/packages.sh installs it for ci/test).
"""
import json
import pathlib
import sys

import jsonschema


def make_validator(schema_path):
    """A draft 2020-12 validator for the schema at schema_path, whose "$ref"s name its siblings."""
    siblings = {p.name: json.loads(p.read_text()) for p in schema_path.parent.glob("*.schema.json")}
    for schema in siblings.values():
        jsonschema.Draft202012Validator.check_schema(schema)
    schema = siblings[schema_path.name]
    try:  # jsonschema 4.18 and later
        import referencing
        import referencing.jsonschema
        registry = referencing.Registry().with_resources(
            (name, referencing.Resource(contents, referencing.jsonschema.DRAFT202012))
            for name, contents in siblings.items())
        return jsonschema.Draft202012Validator(schema, registry=registry)
    except ImportError:  # Debian bookworm's 4.10
        resolver = jsonschema.RefResolver(base_uri="", referrer=schema, store=siblings)
        return jsonschema.Draft202012Validator(schema, resolver=resolver)


def describe(error, indent="  "):
    """The error, and for oneOf/anyOf what each alternative objected to."""
    path = "/".join(str(p) for p in error.absolute_path)
    lines = [f"/{path}: {error.message}"]
    for sub in sorted(error.context or [], key=lambda e: (len(e.absolute_path), e.message))[:12]:
        lines.append(indent + describe(sub, indent + "  "))
    return "\n".join(lines)


def main(argv):
    if len(argv) not in (3, 4) or (len(argv) == 4 and argv[3] != "--lines"):
        print(__doc__, file=sys.stderr)
        return 2
    schema_path = pathlib.Path(argv[1]).resolve()
    validator = make_validator(schema_path)
    text = pathlib.Path(argv[2]).read_text()
    documents = [line for line in text.splitlines() if line.strip()] if len(argv) == 4 else [text]
    if not documents:
        print(f"{argv[2]}: nothing to check", file=sys.stderr)
        return 1
    bad = 0
    for number, document in enumerate(documents, 1):
        where = f"{argv[2]}:{number}" if len(argv) == 4 else argv[2]
        try:
            instance = json.loads(document)
        except json.JSONDecodeError as e:
            print(f"{where}: not JSON: {e}")
            bad += 1
            continue
        for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
            print(f"{where}: {describe(error)}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
