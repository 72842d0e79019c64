"""Rasa's per-conversation ticket lock, without the wait that never ends when the lock's holder has died.

Rasa 3.6 (rasa/core/lock_store.py) waits for its ticket's turn by polling once a second, and removes
expired tickets as it polls. When the holder died (a Rasa killed mid-turn), its ticket expires after
TICKET_LOCK_LIFETIME; a ticket issued soon after it (the same message resent at once to the other
Rasa, by the proxy or the web app) expires less than a poll later, and one poll can remove both. The
waiter's own ticket is then gone: Rasa compares it with "now serving" (0 for an empty queue) for ever,
until a later turn of that conversation deletes the lock, and then fails with LockError (seen as a
customer message held 30 s, in `make failover`). Here a waiter whose ticket has expired, or whose lock
has gone, takes a new ticket at the end of the queue and waits on; everything else is Rasa's.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockStore

logger = logging.getLogger(__name__)


def _holds(lock: TicketLock | None, ticket: int) -> bool:
    """Whether `ticket` is still in the queue (unexpired)."""
    return lock is not None and any(t.number == ticket and not t.has_expired() for t in lock.tickets)


@asynccontextmanager
async def lock(self: LockStore, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
               wait_time_in_seconds: float = 1) -> AsyncIterator[TicketLock]:
    ticket = self.issue_ticket(conversation_id, lock_lifetime)
    try:
        while True:
            current = self.get_lock(conversation_id)
            if not _holds(current, ticket):
                logger.debug("ticket %s of %s expired while waiting: queueing again", ticket, conversation_id)
                ticket = self.issue_ticket(conversation_id, lock_lifetime)
                current = self.get_lock(conversation_id)
            if current is not None and not current.is_locked(ticket):
                break
            await asyncio.sleep(wait_time_in_seconds)
            self.update_lock(conversation_id)
        yield current
    finally:
        self.cleanup(conversation_id, ticket)


def requeue_expired_waiters() -> None:
    """Every lock store Rasa builds from now on waits as above (idempotent)."""
    LockStore.lock = lock  # type: ignore[method-assign,assignment]

