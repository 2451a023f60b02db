#!/usr/bin/python3
"""The rig socket protocol's JSON Schemas (docs/rig-protocol/, draft 2020-12) and the messages.

Usage:
  protocol_schema_test.py                 check the schemas, and hand-written messages against them
  protocol_schema_test.py LOG.jsonl ...   check the schemas, and every message in the logs

(a) Every schema file is a valid draft 2020-12 schema, its $id is its file name, and each of its
    $refs resolves (offline: the schemas are loaded from the directory, never fetched).
(b) Valid example messages of every type validate, against message.schema.json and against their
    type's schema; invalid ones are refused, each for the stated reason (every error reported is
    the expected one, so a message broken in another way as well does not pass by luck).
(c) Each line of a log is a JSON object, either {"dir": "in"|"out", "msg": {...}} or a plain
    message; every message must validate against message.schema.json. A log that is missing, or
    holds no message, fails.

Prints one line per check, "ok ..." or "FAIL ...", then a summary line ("passed: ..." with the
count of messages per type, or "FAILED: N failure(s)"); the exit status is 0 when all passed,
else 1. Needs python3-jsonschema (Debian 12: 4.10.3, with its RefResolver; a jsonschema >= 4.18 is
used through `referencing`). Nothing is fetched from the network.
"""

import collections
import copy
import json
import os
import sys

import jsonschema
from jsonschema import Draft202012Validator

try:  # jsonschema >= 4.18 resolves $refs through `referencing`; Debian 12's 4.10.3 does not
    import referencing
    import referencing.jsonschema
except ImportError:
    referencing = None
    from jsonschema import RefResolver

SCHEMA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                          "rig-protocol")
TYPES = ["HELLO", "WELCOME", "BLOCK", "ACK", "PROGRESS", "RESULT", "RESULT_ACK", "PING", "PONG",
         "CANCEL", "BYE", "ERROR"]
DRAFT = "https://json-schema.org/draft/2020-12/schema"
failures = 0


def ok(text):
    print("ok " + text, flush=True)


def fail(text):
    global failures
    failures += 1
    print("FAIL " + text, flush=True)


def no_network(uri):
    raise jsonschema.RefResolutionError("refusing to fetch %s: the schemas resolve offline" % uri)


def load_schemas():
    """{file name: schema} for every *.schema.json in the directory."""
    schemas = {}
    for name in sorted(os.listdir(SCHEMA_DIR)):
        if name.endswith(".schema.json"):
            with open(os.path.join(SCHEMA_DIR, name), encoding="utf-8") as f:
                schemas[name] = json.load(f)
    return schemas


def validator(schemas, name):
    """A validator of schemas[name] whose $refs resolve among `schemas` (by $id) only: through
    a `referencing` registry where jsonschema has one (4.18 and later), else a RefResolver."""
    if referencing is not None:
        registry = referencing.Registry().with_resources(
            (schema.get("$id", file_name), referencing.Resource.from_contents(
                schema, default_specification=referencing.jsonschema.DRAFT202012))
            for file_name, schema in schemas.items())
        return Draft202012Validator(schemas[name], registry=registry)
    store = {}
    for file_name, schema in schemas.items():
        store[schema.get("$id", file_name)] = schema
        store["file://" + os.path.join(os.path.abspath(SCHEMA_DIR), file_name)] = schema
    resolver = RefResolver(base_uri=schemas[name].get("$id", name), referrer=schemas[name],
                           store=store, handlers={"http": no_network, "https": no_network,
                                                  "ftp": no_network})
    return Draft202012Validator(schemas[name], resolver=resolver)


def resolve(v, ref):
    """Resolves a $ref of v's schema (relative to its $id); raises when it does not resolve."""
    if referencing is not None:
        v._resolver.lookup(ref)
    else:
        v.resolver.resolve(ref)


def refs(node):
    """Every $ref value in a schema."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def errors_of(v, message):
    """The validation errors, de-duplicated (the common fields are checked on two paths)."""
    seen, out = set(), []
    for e in v.iter_errors(message):
        key = (tuple(e.absolute_path), e.validator, e.message)
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


def describe(e):
    text = e.message if len(e.message) <= 200 else e.message[:200] + "..."
    return "%s at /%s: %s" % (e.validator, "/".join(str(p) for p in e.absolute_path), text)


# ---- (a) the schema files -----------------------------------------------------------------------

def check_schema_files(schemas):
    expected = ["common.schema.json", "message.schema.json"] + \
        [t.lower() + ".schema.json" for t in TYPES]
    for name in expected:
        if name not in schemas:
            fail("%s is missing from %s" % (name, SCHEMA_DIR))
    for name, schema in schemas.items():
        try:
            Draft202012Validator.check_schema(schema)
            if schema.get("$schema") != DRAFT:
                raise ValueError("$schema is %r, not %s" % (schema.get("$schema"), DRAFT))
            if schema.get("$id") != name:
                raise ValueError("$id is %r, not its file name" % schema.get("$id"))
            v = validator(schemas, name)
            for ref in refs(schema):
                resolve(v, ref)
            ok("%s is a valid draft 2020-12 schema, its $refs resolve" % name)
        except Exception as e:  # SchemaError, an unresolvable $ref (its class varies by version)
            fail("%s: %s" % (name, str(e).splitlines()[0][:300]))


# ---- (b) example messages -----------------------------------------------------------------------

SESSION = "m1-0412"
SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
seq = 0


def msg(type_, session=SESSION, **fields):
    global seq
    seq += 1
    out = {"v": 1, "type": type_, "session": session, "seq": seq, "t_mono_ns": 1234567890123 + seq,
           "t_wall": "2026-12-02T06:10:00.123Z"}
    out.update(fields)
    return out


def stim(i, **fields):
    out = {"stim_id": "%s-g0-%d" % (SESSION, i), "kind": "synthetic", "w": 256, "h": 256, "c": 3,
           "sha256": SHA, "path": "/data/rig/exchange/block001_%03d_%s-g0-%d.png" % (i, SESSION, i)}
    out.update(fields)
    return out


def without(d, *keys):
    return {k: v for k, v in d.items() if k not in keys}


HELLO = msg("HELLO", session="", rig="psychopy", version="1.0", instance="a41f", state="idle",
            blocks=[])
WELCOME = msg("WELCOME", server="xdream-rig", version="0.9.0", heartbeat_s=1, peer_lost_s=10,
              channels=[], outstanding=None)
BLOCK = msg("BLOCK", block_id=1, generation=0, attempt=1, reshow=False, reps=1, deadline_s=1200,
            stimuli=[stim(0), stim(1, kind="reference", stim_id="ref-face01", c=1)])
BLOCK_FRAMES = msg("BLOCK", block_id=2, generation=1, attempt=2, reshow=True, reps=100,
                   deadline_s=90.5, stimuli=[without(stim(0), "path") | {"frame": 1},
                                             without(stim(1), "path") | {"frame": 2}])
ACK = msg("ACK", block_id=1, attempt=1, missing=[], bad_hash=[])
PROGRESS = msg("PROGRESS", block_id=1, done=12, valid=11, aborted=1, paused=False)
RESULT = msg("RESULT", block_id=1, attempt=1, channels=["ch17"], window_ms=[50, 200],
             responses=[{"stim_id": "m1-0412-g0-3", "rep": 0, "values": [12.5]}], final=True)
RESULT_PART = msg("RESULT", block_id=1, attempt=1, channels=["ch17", "ch18"],
                  window_ms=[50.0, 200.0], baseline_ms=[-100, 0],
                  responses=[{"stim_id": "m1-0412-g0-3", "rep": 0, "values": [12.5, None]},
                             {"stim_id": "m1-0412-g0-3", "rep": 1, "values": [None, None]},
                             {"stim_id": "ref-face01", "rep": 0, "values": [0, -3]}],
                  final=False)
PING = msg("PING")

VALID = [
    ("HELLO, empty session", HELLO),
    ("HELLO presenting, holding results", msg("HELLO", rig="ml", version="2.3", instance="x",
                                              state="presenting", blocks=[3, 4])),
    ("WELCOME, nothing outstanding", WELCOME),
    ("WELCOME, block 7 outstanding", msg("WELCOME", server="xdream-rig", version="1",
                                         heartbeat_s=0.5, peer_lost_s=10, channels=["ch17"],
                                         outstanding=7)),
    ("BLOCK with paths", BLOCK),
    ("BLOCK with inline frames", BLOCK_FRAMES),
    ("ACK", ACK),
    ("ACK naming missing and bad stimuli", msg("ACK", block_id=2, attempt=1,
                                               missing=["m1-0412-g0-1"],
                                               bad_hash=["m1-0412-g0-2"])),
    ("PROGRESS", PROGRESS),
    ("PROGRESS paused", msg("PROGRESS", block_id=9, done=0, valid=0, aborted=0, paused=True)),
    ("RESULT final", RESULT),
    ("RESULT part with nulls and baseline", RESULT_PART),
    ("RESULT final with no responses", msg("RESULT", block_id=3, attempt=1, channels=["a"],
                                           responses=[], final=True)),
    ("RESULT_ACK", msg("RESULT_ACK", block_id=1, ack_seq=4, accepted=40, duplicate=0, unknown=0)),
    ("PING", PING),
    ("PONG", msg("PONG", ping_seq=17)),
    ("CANCEL", msg("CANCEL", block_id=1, reason="complete")),
    ("BYE", msg("BYE", reason="the session is done")),
    ("ERROR with about_seq", msg("ERROR", code="version", message="version 2", about_seq=3)),
    ("ERROR without about_seq", msg("ERROR", code="bad_message", message="not JSON")),
    ("ERROR with about_seq null", msg("ERROR", code="unknown_type", message="?", about_seq=None)),
    ("unknown extra fields are allowed", msg("PING", later_field={"x": 1}) | {"note": "hi"}),
    ("t_wall with an offset, no fraction", msg("PING", t_wall="2026-12-02T07:10:00+01:00")),
    ("a large monotonic clock", msg("PING", t_mono_ns=9223372036854775807)),
]


def changed(message, path, value):
    """A copy of message with the field at path set to value (value `...`: removed)."""
    out = copy.deepcopy(message)
    node = out
    for key in path[:-1]:
        node = node[key]
    if value is ...:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


# (name, message, expected keyword, expected path, text the error message must hold)
INVALID = [
    ("ACK without bad_hash", changed(ACK, ["bad_hash"], ...), "required", [], "bad_hash"),
    ("RESULT without final", changed(RESULT, ["final"], ...), "required", [], "final"),
    ("HELLO without instance", changed(HELLO, ["instance"], ...), "required", [], "instance"),
    ("BLOCK stimulus without sha256", changed(BLOCK, ["stimuli", 1, "sha256"], ...), "required",
     ["stimuli", 1], "sha256"),
    ("a message without seq", changed(PROGRESS, ["seq"], ...), "required", [], "seq"),
    ("PONG without ping_seq", msg("PONG"), "required", [], "ping_seq"),
    ("paused is a string", changed(PROGRESS, ["paused"], "no"), "type", ["paused"], "boolean"),
    ("seq is 1.5", changed(PING, ["seq"], 1.5), "type", ["seq"], "integer"),
    ("block_id is a string", changed(ACK, ["block_id"], "1"), "type", ["block_id"], "integer"),
    ("session is a number", changed(PING, ["session"], 12), "type", ["session"], "string"),
    ("not an object", [PING], "type", [], "object"),
    ("v = 2", changed(HELLO, ["v"], 2), "const", ["v"], "1"),
    ("v = true", changed(HELLO, ["v"], True), "const", ["v"], "1"),
    ("unknown type", changed(PING, ["type"], "HELO"), "enum", ["type"], "HELO"),
    ("bad kind", changed(BLOCK, ["stimuli", 0, "kind"], "natural"), "enum",
     ["stimuli", 0, "kind"], "natural"),
    ("sha256 of 63 digits", changed(BLOCK, ["stimuli", 0, "sha256"], SHA[:-1]), "pattern",
     ["stimuli", 0, "sha256"], ""),
    ("sha256 not hexadecimal", changed(BLOCK, ["stimuli", 0, "sha256"], "g" + SHA[1:]),
     "pattern", ["stimuli", 0, "sha256"], ""),
    ("both path and frame", changed(BLOCK, ["stimuli", 0, "frame"], 1), "oneOf",
     ["stimuli", 0], "valid under each"),
    ("neither path nor frame", changed(BLOCK, ["stimuli", 0, "path"], ...), "oneOf",
     ["stimuli", 0], "not valid under any"),
    ("values with a string", changed(RESULT_PART, ["responses", 0, "values", 1], "12"), "type",
     ["responses", 0, "values", 1], "number"),
    ("values empty", changed(RESULT, ["responses", 0, "values"], []), "minItems",
     ["responses", 0, "values"], ""),
    ("rep = -1", changed(RESULT, ["responses", 0, "rep"], -1), "minimum",
     ["responses", 0, "rep"], ""),
    ("window_ms of 3 numbers", changed(RESULT, ["window_ms"], [0, 50, 200]), "maxItems",
     ["window_ms"], ""),
    ("baseline_ms of 1 number", changed(RESULT, ["baseline_ms"], [0]), "minItems",
     ["baseline_ms"], ""),
    ("reps = 0", changed(BLOCK, ["reps"], 0), "minimum", ["reps"], ""),
    ("reps = 101", changed(BLOCK, ["reps"], 101), "maximum", ["reps"], ""),
    ("block_id = 0", changed(ACK, ["block_id"], 0), "minimum", ["block_id"], ""),
    ("attempt = 0", changed(RESULT, ["attempt"], 0), "minimum", ["attempt"], ""),
    ("c = 2", changed(BLOCK, ["stimuli", 0, "c"], 2), "enum", ["stimuli", 0, "c"], ""),
    ("w = 0", changed(BLOCK, ["stimuli", 0, "w"], 0), "minimum", ["stimuli", 0, "w"], ""),
    ("frame = 0", changed(BLOCK_FRAMES, ["stimuli", 1, "frame"], 0), "minimum",
     ["stimuli", 1, "frame"], ""),
    ("no stimuli", changed(BLOCK, ["stimuli"], []), "minItems", ["stimuli"], ""),
    ("seq = -1", changed(PING, ["seq"], -1), "minimum", ["seq"], ""),
    ("session of 65 characters", changed(PING, ["session"], "s" * 65), "maxLength",
     ["session"], ""),
    ("t_wall not ISO 8601", changed(PING, ["t_wall"], "Dec 2 2026 06:10"), "pattern",
     ["t_wall"], ""),
    ("HELLO state busy", changed(HELLO, ["state"], "busy"), "enum", ["state"], "busy"),
    ("HELLO blocks with 0", changed(HELLO, ["blocks"], [0]), "minimum", ["blocks", 0], ""),
    ("WELCOME from another server", changed(WELCOME, ["server"], "other"), "const",
     ["server"], ""),
    ("WELCOME outstanding 0", changed(WELCOME, ["outstanding"], 0), "oneOf", ["outstanding"],
     ""),
    ("PROGRESS done = -1", changed(PROGRESS, ["done"], -1), "minimum", ["done"], ""),
    ("ERROR code unknown", msg("ERROR", code="oops", message="x"), "enum", ["code"], "oops"),
    ("RESULT_ACK accepted is null", msg("RESULT_ACK", block_id=1, ack_seq=4, accepted=None,
                                        duplicate=0, unknown=0), "type", ["accepted"], ""),
]


def check_examples(schemas):
    any_message = validator(schemas, "message.schema.json")
    per_type = {t: validator(schemas, t.lower() + ".schema.json") for t in TYPES}
    covered = set()
    for name, message in VALID:
        problems = [describe(e) for e in errors_of(any_message, message)]
        problems += [describe(e) for e in errors_of(per_type[message["type"]], message)]
        if problems:
            fail("valid %s: refused: %s" % (name, "; ".join(problems)))
        else:
            covered.add(message["type"])
            ok("valid %s" % name)
    missing = [t for t in TYPES if t not in covered]
    if missing:
        fail("no valid example of %s" % ", ".join(missing))
    for name, message, keyword, path, text in INVALID:
        errors = errors_of(any_message, message)
        wrong = [e for e in errors if e.validator != keyword or list(e.absolute_path) != path
                 or text not in e.message]
        if not errors:
            fail("invalid %s: accepted" % name)
        elif wrong:
            fail("invalid %s: expected %s at /%s, got: %s" % (
                name, keyword, "/".join(map(str, path)), "; ".join(describe(e) for e in wrong)))
        else:
            ok("invalid %s: refused (%s)" % (name, describe(errors[0])))
    # A type's own schema refuses a message of another type.
    errors = errors_of(per_type["HELLO"], WELCOME)
    if any(e.validator == "const" and list(e.absolute_path) == ["type"] for e in errors):
        ok("hello.schema.json refuses a WELCOME")
    else:
        fail("hello.schema.json does not refuse a WELCOME for its type")


# ---- (c) logs -----------------------------------------------------------------------------------

def check_log(schemas, path, counts):
    """Adds the valid messages of one log to counts ("TYPE dir" -> number)."""
    any_message = validator(schemas, "message.schema.json")
    before = collections.Counter(counts)
    bad = 0
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        fail("%s: cannot be read: %s" % (path, e))
        return
    for number, line in enumerate(lines, 1):
        where = "%s:%d" % (path, number)
        try:
            entry = json.loads(line)
        except ValueError as e:
            fail("%s: not JSON (%s): %s" % (where, e, line[:200]))
            bad += 1
            continue
        direction = ""
        if isinstance(entry, dict) and "msg" in entry and "type" not in entry:
            direction = entry.get("dir")
            if direction not in ("in", "out"):
                fail("%s: \"dir\" is %r, not \"in\" or \"out\"" % (where, direction))
                bad += 1
                continue
            entry = entry["msg"]
        errors = errors_of(any_message, entry)
        if errors:
            bad += 1
            fail("%s: invalid message %s: %s" % (where, json.dumps(entry)[:1000],
                                                  "; ".join(describe(e) for e in errors)))
        else:
            counts[entry["type"] + (" " + direction if direction else "")] += 1
    mine = counts - before
    total = sum(mine.values())
    summary = ", ".join("%s %d" % (k, mine[k]) for k in sorted(mine))
    if not lines:
        fail("%s: empty, no message to check" % path)
    elif bad:
        fail("%s: %d of %d lines invalid (valid: %s)" % (path, bad, len(lines), summary or "none"))
    else:
        ok("%s: %d messages valid (%s)" % (path, total, summary))


def main():
    try:
        schemas = load_schemas()
    except (OSError, ValueError) as e:
        fail("cannot load the schemas from %s: %s" % (SCHEMA_DIR, e))
        return 1
    check_schema_files(schemas)
    counts = collections.Counter()
    if failures == 0:
        if len(sys.argv) > 1:
            for path in sys.argv[1:]:
                check_log(schemas, path, counts)
        else:
            check_examples(schemas)
    if failures:
        print("FAILED: %d failure(s)" % failures, flush=True)
    elif len(sys.argv) > 1:  # the last line sums up: callers show it
        print("passed: %d messages valid in %d log(s) (%s)" % (
            sum(counts.values()), len(sys.argv) - 1,
            ", ".join("%s %d" % (k, counts[k]) for k in sorted(counts))), flush=True)
    else:
        print("passed: %d schemas, %d valid and %d invalid examples" % (
            len(schemas), len(VALID), len(INVALID)), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
