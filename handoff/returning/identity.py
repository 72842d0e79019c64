"""Signed customer ids, as Intercom's identity verification does: the site's server computes
hex(HMAC-SHA256(CUSTOMER_ID_SECRET, user_id)) and gives the widget the id and that hash; the web app
checks the hash, so nobody reads another customer's history by typing their id."""
from __future__ import annotations

import hashlib
import hmac
from enum import Enum


class Refusal(str, Enum):
    NOT_CONFIGURED = ("this site does not identify customers (CUSTOMER_ID_SECRET is not set): "
                      "leave user_id out to chat anonymously")
    MISSING_HASH = "user_hash is missing: a user_id needs hex(HMAC-SHA256(site secret, user_id)) beside it"
    WRONG_HASH = "user_hash does not match user_id: it must be hex(HMAC-SHA256(site secret, user_id))"


class IdentityRefused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


def sign(secret: str, user_id: str) -> str:
    """What the site computes on its server for its logged-in customer."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def verified_customer(secret: str | None, user_id: str, user_hash: str | None) -> str:
    """`user_id` when `user_hash` is its signature with `secret`; otherwise IdentityRefused saying why."""
    if not secret:
        raise IdentityRefused(Refusal.NOT_CONFIGURED)
    if not user_hash:
        raise IdentityRefused(Refusal.MISSING_HASH)
    # Bytes: compare_digest refuses non-ASCII str, and a hash is whatever the caller sent.
    given = user_hash.strip().lower().encode("utf-8", "surrogatepass")
    if not hmac.compare_digest(sign(secret, user_id).encode(), given):
        raise IdentityRefused(Refusal.WRONG_HASH)
    return user_id
