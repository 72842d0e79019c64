"""Canned replies in Redis: one hash a reply, the set of every id, and per team and language an
index shortcut -> id, so that "/refund" names one reply for a team's advisors in that language.
A save or a removal is one WATCH/MULTI step: two editors taking the same shortcut, or one removing
a reply another is saving, end with one of them refused, never with an index naming a lost reply."""
from __future__ import annotations

import secrets
import time
import unicodedata
from dataclasses import asdict, dataclass
from enum import Enum

from redis.asyncio import Redis
from redis.exceptions import WatchError

from handoff.canned.variables import Variable, unknown_variables
from knowledge import redis_keys as keys

ID_PATTERN = r"^c[0-9a-f]{12}$"
SHORTCUT_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"
# A save retried this often when another one changed the same reply or index meanwhile.
ATTEMPTS = 5


class CannedLang(str, Enum):
    EN = "en"
    FR = "fr"


class CannedReplyError(ValueError):
    """A canned reply that cannot be saved or found as asked."""


class UnknownVariables(CannedReplyError):
    def __init__(self, names: list[str]) -> None:
        self.names = names
        listed = ", ".join("{" + name + "}" for name in names)
        known = ", ".join("{" + variable.value + "}" for variable in Variable)
        super().__init__(f"unknown variable{'s' if len(names) > 1 else ''} {listed}: the variables are {known}")


class ShortcutTaken(CannedReplyError):
    pass


class CannedReplyGone(CannedReplyError):
    pass


class Busy(CannedReplyError):
    """Others kept changing the same reply or shortcut while this save was tried."""


@dataclass(frozen=True)
class CannedDraft:
    """What an editor writes: whose advisors see it, in which language, under which shortcut."""
    team: str
    lang: CannedLang
    shortcut: str
    title: str
    text: str


@dataclass(frozen=True)
class CannedReply:
    id: str
    team: str
    lang: str
    shortcut: str
    title: str
    text: str
    updated_by: str
    updated_at_ms: int

    def public(self) -> dict[str, object]:
        return asdict(self)


def _folded(text: str) -> str:
    """Lower case without accents: "Remboursé" is found by "rembourse"."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


def _rank(reply: CannedReply, query: str) -> int | None:
    """How well `query` finds the reply (lower is better), None when it does not."""
    if not query:
        return 0
    if _folded(reply.shortcut).startswith(query):
        return 0
    if query in _folded(reply.title):
        return 1
    if query in _folded(reply.shortcut) or query in _folded(reply.text):
        return 2
    return None


class CannedReplies:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    @staticmethod
    def _from_record(reply_id: str, record: dict[str, str]) -> CannedReply | None:
        if not record:
            return None
        return CannedReply(reply_id, record["team"], record["lang"], record["shortcut"], record["title"], record["text"],
                           record.get("updated_by", ""), int(record.get("updated_at_ms", 0)))

    async def get(self, reply_id: str) -> CannedReply | None:
        return self._from_record(reply_id, await self.redis.hgetall(keys.canned_reply(reply_id)))

    async def search(self, team: str | None = None, langs: tuple[str, ...] | None = None,
                     query: str = "") -> list[CannedReply]:
        """The team's replies (every team's if None) in `langs`, found by `query` in their shortcut, title
        or text: shortcuts starting with it first, then titles holding it, each by shortcut."""
        wanted = _folded(query.strip().lstrip("/"))
        found = []
        ids = sorted(await self.redis.smembers(keys.CANNED_REPLIES))
        async with self.redis.pipeline(transaction=False) as pipe:
            for reply_id in ids:
                pipe.hgetall(keys.canned_reply(reply_id))
            records = await pipe.execute()
        for reply_id, record in zip(ids, records):
            reply = self._from_record(reply_id, record)
            if reply is None or (team is not None and reply.team != team) or (langs is not None and reply.lang not in langs):
                continue
            rank = _rank(reply, wanted)
            if rank is not None:
                found.append((rank, reply.shortcut, reply.lang, reply.team, reply))
        return [entry[-1] for entry in sorted(found, key=lambda entry: entry[:-1])]

    async def create(self, draft: CannedDraft, editor: str) -> CannedReply:
        return await self._save("c" + secrets.token_hex(6), draft, editor, creating=True)

    async def update(self, reply_id: str, draft: CannedDraft, editor: str) -> CannedReply:
        return await self._save(reply_id, draft, editor, creating=False)

    async def _save(self, reply_id: str, draft: CannedDraft, editor: str, creating: bool) -> CannedReply:
        unknown = unknown_variables(draft.text)
        if unknown:
            raise UnknownVariables(unknown)
        reply = CannedReply(reply_id, draft.team, draft.lang.value, draft.shortcut, draft.title.strip(), draft.text,
                            editor, int(time.time() * 1000))
        record, index = keys.canned_reply(reply_id), keys.canned_shortcuts(reply.team, reply.lang)
        async with self.redis.pipeline(transaction=True) as pipe:
            for _ in range(ATTEMPTS):
                try:
                    await pipe.watch(record, index)
                    before = await pipe.hgetall(record)
                    if not creating and not before:
                        raise CannedReplyGone(f"no canned reply {reply_id}")
                    holder = await pipe.hget(index, reply.shortcut)
                    if holder and holder != reply_id:
                        raise ShortcutTaken(f"/{reply.shortcut} already names another {reply.lang} reply of team "
                                            f"{reply.team}: choose another shortcut")
                    old_index = keys.canned_shortcuts(before["team"], before["lang"]) if before else None
                    if old_index and old_index != index:
                        await pipe.watch(old_index)
                    pipe.multi()
                    if before and (old_index, before["shortcut"]) != (index, reply.shortcut):
                        pipe.hdel(old_index, before["shortcut"])
                    pipe.hset(record, mapping={k: v for k, v in reply.public().items() if k != "id"})
                    pipe.sadd(keys.CANNED_REPLIES, reply_id)
                    pipe.hset(index, reply.shortcut, reply_id)
                    await pipe.execute()
                    return reply
                except WatchError:
                    continue
        raise Busy("the reply or its shortcut kept changing meanwhile: try again")

    async def remove(self, reply_id: str) -> bool:
        """False when there was no such reply."""
        record = keys.canned_reply(reply_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            for _ in range(ATTEMPTS):
                try:
                    await pipe.watch(record)
                    before = await pipe.hgetall(record)
                    if not before:
                        return False
                    index = keys.canned_shortcuts(before["team"], before["lang"])
                    await pipe.watch(index)
                    holder = await pipe.hget(index, before["shortcut"])
                    pipe.multi()
                    pipe.delete(record)
                    pipe.srem(keys.CANNED_REPLIES, reply_id)
                    if holder == reply_id:
                        pipe.hdel(index, before["shortcut"])
                    await pipe.execute()
                    return True
                except WatchError:
                    continue
        raise Busy("the reply kept changing meanwhile: try again")
