"""Conversation ids out of the access log: a conversation id is the customer's only credential, and
uvicorn's access log prints every request path (/api/conversations/{id}/messages). The filter
replaces the id with a short tag, a keyed hash: the same conversation gets the same tag within one
process (to follow a customer's requests), and neither the id nor a way to test a guess is logged."""
from __future__ import annotations

import hashlib
import logging
import re
import secrets

ACCESS_LOGGER = "uvicorn.access"
_CONVERSATION_PATH = re.compile(r"(/api/(?:agent/)?conversations/)([A-Za-z0-9_-]{16,64})")


class ConversationIdFilter(logging.Filter):
    def __init__(self, key: bytes | None = None) -> None:
        super().__init__()
        # Random per process unless given: tags cannot be matched against a list of ids afterwards.
        self._key = key or secrets.token_bytes(32)

    def tag(self, conversation_id: str) -> str:
        return "~" + hashlib.blake2b(conversation_id.encode(), key=self._key, digest_size=4).hexdigest()

    def redact(self, text: str) -> str:
        return _CONVERSATION_PATH.sub(lambda match: match.group(1) + self.tag(match.group(2)), text)

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = self.redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(self.redact(arg) if isinstance(arg, str) else arg for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: self.redact(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return True


def hide_conversation_ids(logger_name: str = ACCESS_LOGGER) -> ConversationIdFilter:
    """Install the filter on the access logger (once per process: later calls return the same one)."""
    logger = logging.getLogger(logger_name)
    for existing in logger.filters:
        if isinstance(existing, ConversationIdFilter):
            return existing
    installed = ConversationIdFilter()
    logger.addFilter(installed)
    return installed
