#!/usr/bin/python3
"""Validates GA4GH Phenopackets v2 JSON documents against the schema's own definition.

The phenopacket schema is a set of protobuf messages; its JSON form is the proto3 JSON
mapping. Each document is parsed with the official protobuf runtime into the Phenopacket
message compiled from testdata/phenopacket-schema (unknown fields, wrong types and unknown
enum values are errors), then checked for what the schema's documentation marks required
and protobuf cannot express: the phenopacket's id and metaData; metaData's created,
createdBy, phenopacketSchemaVersion (2, 2.0 or 2.0.x: published phenopackets carry
all three) and resources (every field of each); an id and a
label for every ontology class; a type for every phenotypic feature, a term for every
disease; and a resource in metaData for the prefix of every ontology class used.

Usage: phenopacket-validate.py GENERATED_PY_DIR FILE...   (GENERATED_PY_DIR: protoc
--python_out of the schema). Prints "ok FILE" or "FAIL FILE: reason" per file; the exit
status is the number of failures (at most 125).
"""
import re
import sys

sys.path.insert(0, sys.argv[1])

from google.protobuf import json_format  # noqa: E402
from phenopackets.schema.v2 import phenopackets_pb2  # noqa: E402

CORE = "org.phenopackets.schema.v2.core."


def walk(msg, path, visit):
    """Calls visit(msg, path) for msg and every message below it."""
    visit(msg, path)
    for fd, value in msg.ListFields():
        if fd.type != fd.TYPE_MESSAGE:
            continue
        if fd.label == fd.LABEL_REPEATED:
            if fd.message_type.GetOptions().map_entry:
                continue
            for i, v in enumerate(value):
                walk(v, "%s.%s[%d]" % (path, fd.json_name, i), visit)
        else:
            walk(value, "%s.%s" % (path, fd.json_name), visit)


def check(pp):
    """The documented requirements protobuf does not enforce; a list of problems."""
    bad = []
    prefixes = {}
    if not pp.id:
        bad.append("id is required")
    if not pp.HasField("meta_data"):
        return bad + ["metaData is required"]
    md = pp.meta_data
    if not md.HasField("created"):
        bad.append("metaData.created is required")
    if not md.created_by:
        bad.append("metaData.createdBy is required")
    if not re.fullmatch(r"2(\.0(\.[0-9]+)?)?", md.phenopacket_schema_version):
        bad.append("metaData.phenopacketSchemaVersion must be 2, 2.0 or 2.0.x, not %r"
                   % md.phenopacket_schema_version)
    if not md.resources:
        bad.append("metaData.resources is required")
    for i, r in enumerate(md.resources):
        for f in ("id", "name", "url", "version", "namespace_prefix", "iri_prefix"):
            if not getattr(r, f):
                bad.append("metaData.resources[%d].%s is required" % (i, f))

    def visit(m, path):
        name = m.DESCRIPTOR.full_name
        if name == CORE + "OntologyClass":
            if ":" not in m.id or m.id.startswith(":") or m.id.endswith(":"):
                bad.append("%s.id %r is not a CURIE" % (path, m.id))
            else:
                prefixes.setdefault(m.id.split(":", 1)[0], path)
            if not m.label:
                bad.append("%s.label is required" % path)
        elif name == CORE + "PhenotypicFeature" and not m.HasField("type"):
            bad.append("%s.type is required" % path)
        elif name == CORE + "Disease" and not m.HasField("term"):
            bad.append("%s.term is required" % path)
        elif name == CORE + "Interpretation" and not m.id:
            bad.append("%s.id is required" % path)

    walk(pp, "phenopacket", visit)
    have = {r.namespace_prefix for r in md.resources}
    for p, where in sorted(prefixes.items()):
        if p not in have:
            bad.append("no metaData resource for prefix %s (used at %s)" % (p, where))
    return bad


def main():
    failed = 0
    for f in sys.argv[2:]:
        pp = phenopackets_pb2.Phenopacket()
        try:
            with open(f, encoding="utf-8") as fh:
                json_format.Parse(fh.read(), pp)
            bad = check(pp)
        except (json_format.ParseError, ValueError, OSError) as e:
            bad = [str(e)]
        if bad:
            failed += 1
            print("FAIL %s: %s" % (f, "; ".join(bad[:5])))
        else:
            print("ok %s" % f)
    return min(failed, 125)


if __name__ == "__main__":
    sys.exit(main())
