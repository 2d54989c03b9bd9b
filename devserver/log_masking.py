"""Secrets never reach the logs: event keys in `/e/{key}` paths (Django logs every refused
request's path), bearer tokens and signing keys are masked in every line the console handler
writes."""

import logging
import re

MASK = "[redacted]"
_SECRETS = re.compile(
    r"(?P<path>/e/)[^/\s?\"']+"
    r"|(?P<bearer>(?i:bearer)\s+)[^\s\"',]+"
    r"|signkey-[A-Za-z0-9]+-[A-Za-z0-9]+"
)


def mask(text: str) -> str:
    return _SECRETS.sub(lambda m: (m.group("path") or m.group("bearer") or "") + MASK, text)


class MaskSecrets(logging.Filter):
    """A handler filter: the record's message is rendered once, masked, and kept as is."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True
