"""Validate taskbook's JSON output against docs/schema/taskbook-v1.json.

`validate(obj, "list")` checks an output against `$defs/list` twice: as
published (unknown fields allowed, as the contract promises consumers) and
strict, with every documented object closed, so that a field the code emits
but the schema does not describe fails the test instead of slipping by.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path

import jsonschema

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "docs" / "schema" / "taskbook-v1.json"


@lru_cache(maxsize=None)
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _closed(node):
    if isinstance(node, dict):
        node = {k: _closed(v) for k, v in node.items()}
        if node.get("type") == "object" and "properties" in node:
            node.setdefault("additionalProperties", False)
        return node
    if isinstance(node, list):
        return [_closed(v) for v in node]
    return node


@lru_cache(maxsize=None)
def _validator(name: str, strict: bool) -> jsonschema.Draft202012Validator:
    defs = copy.deepcopy(schema()["$defs"])
    if strict:
        defs = _closed(defs)
    return jsonschema.Draft202012Validator({"$ref": f"#/$defs/{name}", "$defs": defs})


def validate(obj: object, name: str) -> None:
    """Raise jsonschema.ValidationError unless `obj` is a valid `name` output."""
    assert name in schema()["$defs"], f"no $defs/{name} in the schema"
    _validator(name, False).validate(obj)
    _validator(name, True).validate(obj)
