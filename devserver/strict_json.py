"""JSON as RFC 8259 defines it. Python's parser also takes NaN and Infinity, which neither
SQLite's nor Postgres's JSON columns store: refuse them where outside input is read."""

import json
from typing import Any

from ninja.parser import Parser


def _refuse_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not valid JSON", name, 0)


def loads(raw: str | bytes) -> Any:
    return json.loads(raw, parse_constant=_refuse_constant)


class StrictParser(Parser):
    """django-ninja request bodies, parsed strictly too."""

    def parse_body(self, request: Any) -> Any:
        return loads(request.body)
