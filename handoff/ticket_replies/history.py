"""A ticket's history: every email reply and call back an agent made, with its delivery status, in one
Redis hash beside the ticket (reply id -> JSON record). It expires with the ticket: each write sets both
to the ticket's retention again. A failed email stays as written, with its error, until a retry sends it."""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, replace
from enum import Enum

from redis.asyncio import Redis
from redis.exceptions import WatchError

from handoff.tickets import keep_transcript
from knowledge import redis_keys as keys

# Where the ticket record counts its replies: the next reply id.
_COUNTER_FIELD = "replies"


class Channel(str, Enum):
    EMAIL = "email"
    PHONE = "phone"


class Delivery(str, Enum):
    SENDING = "sending"  # handed to the mail server right now (or the web app stopped meanwhile)
    SENT = "sent"  # the mail server took it
    FAILED = "failed"  # it did not: `error` says why; a retry may send it
    CALLED_BACK = "called_back"  # a phone call back, noted


class UnknownReply(Exception):
    pass


class NotRetriable(Exception):
    """Only a failed email (or one whose sending was cut off) is sent again."""


@dataclass(frozen=True)
class TicketReply:
    reply_id: str
    ticket_id: str
    agent: str  # username
    agent_name: str
    channel: Channel
    to: str  # the address or number
    text: str  # the email's text, or the call's note
    at_ms: int
    status: Delivery
    attempts: int = 0
    attempted_at_ms: int | None = None  # when the last attempt to send it began
    error: str | None = None
    delivered_at_ms: int | None = None

    def public(self) -> dict[str, object]:
        return {**asdict(self), "channel": self.channel.value, "status": self.status.value}

    @classmethod
    def read(cls, raw: str) -> TicketReply:
        fields = json.loads(raw)
        return cls(**{**fields, "channel": Channel(fields["channel"]), "status": Delivery(fields["status"])})


def now_ms() -> int:
    return int(time.time() * 1000)


async def add_reply(redis: Redis, ticket_id: str, agent: str, agent_name: str, channel: Channel, to: str, text: str,
                    status: Delivery, retention_s: int) -> TicketReply:
    number = await redis.hincrby(keys.ticket(ticket_id), _COUNTER_FIELD, 1)
    at_ms = now_ms()
    sending = status is Delivery.SENDING
    reply = TicketReply(f"R{number:04d}", ticket_id, agent, agent_name, channel, to, text, at_ms, status,
                        attempts=1 if sending else 0, attempted_at_ms=at_ms if sending else None)
    await _write(redis, reply, retention_s)
    return reply


async def _write(redis: Redis, reply: TicketReply, retention_s: int) -> None:
    messages_key = await redis.hget(keys.ticket(reply.ticket_id), "messages_key")
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(keys.ticket_history(reply.ticket_id), reply.reply_id, json.dumps(reply.public()))
        pipe.expire(keys.ticket_history(reply.ticket_id), retention_s)
        pipe.expire(keys.ticket(reply.ticket_id), retention_s)
        if messages_key:  # the ticket lives on: so does its transcript
            keep_transcript(pipe, messages_key, retention_s)
        await pipe.execute()


async def settle(redis: Redis, reply: TicketReply, error: str | None, retention_s: int) -> TicketReply:
    """What the mail server did with it: sent (no error) or failed with `error`."""
    settled = replace(reply, status=Delivery.FAILED if error else Delivery.SENT, error=error,
                      delivered_at_ms=None if error else now_ms())
    await _write(redis, settled, retention_s)
    return settled


async def replies(redis: Redis, ticket_id: str) -> list[TicketReply]:
    """Oldest first."""
    records = [TicketReply.read(raw) for raw in (await redis.hgetall(keys.ticket_history(ticket_id))).values()]
    return sorted(records, key=lambda reply: int(reply.reply_id[1:]))


async def claim_retry(redis: Redis, ticket_id: str, reply_id: str, stale_after_s: float, retention_s: int) -> TicketReply:
    """Marks a failed email as being sent again, in one step: two agents retrying at once send it once.
    An email still marked sending after `stale_after_s` was cut off (the web app stopped) and is retried too."""
    key = keys.ticket_history(ticket_id)
    async with redis.pipeline(transaction=True) as pipe:
        try:
            await pipe.watch(key)
            raw = await pipe.hget(key, reply_id)
            if raw is None:
                raise UnknownReply(f"ticket {ticket_id} has no reply {reply_id}")
            reply = TicketReply.read(raw)
            cut_off = (reply.status is Delivery.SENDING
                       and now_ms() - (reply.attempted_at_ms or reply.at_ms) > stale_after_s * 1000)
            if reply.channel is not Channel.EMAIL or not (reply.status is Delivery.FAILED or cut_off):
                raise NotRetriable(f"reply {reply_id} is {reply.status.value}: only a failed email is sent again")
            claimed = replace(reply, status=Delivery.SENDING, attempts=reply.attempts + 1, attempted_at_ms=now_ms(),
                              error=None)
            pipe.multi()
            pipe.hset(key, reply_id, json.dumps(claimed.public()))
            pipe.expire(key, retention_s)
            pipe.expire(keys.ticket(ticket_id), retention_s)
            await pipe.execute()
        except WatchError:
            raise NotRetriable(f"reply {reply_id} is being sent again by someone else") from None
    return claimed
