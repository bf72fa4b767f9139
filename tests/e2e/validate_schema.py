"""Validates a JSON document against the subset of JSON Schema that
docs/stats.schema.json uses: type, required, properties, items.
Usage: validate_schema.py SCHEMA DOCUMENT; prints each violation."""
import json
import sys

TYPES = {"object": dict, "array": list, "string": str, "boolean": bool,
         "number": (int, float), "integer": int}


def check(schema, value, path, errors):
    want = schema.get("type")
    if want:
        ok = isinstance(value, TYPES[want])
        if want in ("integer", "number") and isinstance(value, bool):
            ok = False
        if not ok:
            errors.append(f"{path}: expected {want}, got {value!r}")
            return
    for key in schema.get("required", []):
        if key not in value:
            errors.append(f"{path}: missing key {key!r}")
    for key, sub in schema.get("properties", {}).items():
        if isinstance(value, dict) and key in value:
            check(sub, value[key], f"{path}.{key}", errors)
    if "items" in schema and isinstance(value, list):
        for i, item in enumerate(value):
            check(schema["items"], item, f"{path}[{i}]", errors)


errors = []
check(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), "$", errors)
print("\n".join(errors))
sys.exit(1 if errors else 0)
