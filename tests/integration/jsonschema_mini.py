# tests/integration/jsonschema_mini.py - an independent check of the JSON Schema subset the content types use
# SPDX-License-Identifier: MIT
"""Written separately from core/src/schema.c so that the integration tests do not trust the code under test."""
import re

TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def _is_type(v, t):
    if t == "integer":
        return isinstance(v, int) and not isinstance(v, bool)
    if t == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    return isinstance(v, TYPES[t])


def errors(schema, doc, path="$"):
    out = []
    t = schema.get("type")
    if t is not None:
        ts = t if isinstance(t, list) else [t]
        if not any(_is_type(doc, x) for x in ts):
            return ["%s: expected %s" % (path, t)]
    if "enum" in schema and doc not in schema["enum"]:
        out.append("%s: not in enum" % path)
    if isinstance(doc, str):
        if len(doc) < schema.get("minLength", 0):
            out.append("%s: too short" % path)
        if "maxLength" in schema and len(doc) > schema["maxLength"]:
            out.append("%s: too long" % path)
        if "pattern" in schema and not re.search(schema["pattern"], doc):
            out.append("%s: pattern %s" % (path, schema["pattern"]))
    if isinstance(doc, (int, float)) and not isinstance(doc, bool):
        if "minimum" in schema and doc < schema["minimum"]:
            out.append("%s: below minimum" % path)
        if "maximum" in schema and doc > schema["maximum"]:
            out.append("%s: above maximum" % path)
    if isinstance(doc, dict):
        for r in schema.get("required", []):
            if r not in doc:
                out.append("%s: missing %s" % (path, r))
        props = schema.get("properties", {})
        for k, v in doc.items():
            if k in props:
                out += errors(props[k], v, "%s.%s" % (path, k))
            elif schema.get("additionalProperties") is False:
                out.append("%s: unexpected %s" % (path, k))
    if isinstance(doc, list):
        if len(doc) < schema.get("minItems", 0):
            out.append("%s: fewer than %d items" % (path, schema["minItems"]))
        if "maxItems" in schema and len(doc) > schema["maxItems"]:
            out.append("%s: more than %d items" % (path, schema["maxItems"]))
        if "items" in schema:
            for i, v in enumerate(doc):
                out += errors(schema["items"], v, "%s[%d]" % (path, i))
    for key in ("anyOf", "oneOf"):
        if key in schema:
            ok = [s for s in schema[key] if not errors(s, doc, path)]
            if (key == "anyOf" and not ok) or (key == "oneOf" and len(ok) != 1):
                out.append("%s: %s not satisfied" % (path, key))
    return out
