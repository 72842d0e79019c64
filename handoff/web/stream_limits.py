"""Caps on the customer live streams this web process holds open: per conversation and per client
address, so that one client cannot take every stream the process can serve. Counted in memory, so
a crashed process leaves nothing behind (with several web processes, each applies the caps)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

StreamSlot = tuple[tuple[str, str], ...]  # the counters one open stream adds to


class TooManyStreams(Exception):
    pass


@dataclass
class OpenStreamLimits:
    per_conversation: int
    per_address: int
    _open: Counter[tuple[str, str]] = field(default_factory=Counter)

    def open_count(self, kind: str, who: str) -> int:
        return self._open[(kind, who)]

    def total(self) -> int:
        """Customer live streams open in this process (each counts once per conversation)."""
        return sum(count for (kind, _), count in self._open.items() if kind == "conversation")

    def take(self, conversation_id: str, address: str) -> StreamSlot:
        """One more stream open, until `give_back`; TooManyStreams when either cap is reached."""
        slot = (("conversation", conversation_id), ("address", address))
        for key, cap in zip(slot, (self.per_conversation, self.per_address)):
            if self._open[key] >= cap:
                raise TooManyStreams(f"{cap} live streams per {key[0]} at most")
        self._open.update(slot)
        return slot

    def give_back(self, slot: StreamSlot) -> None:
        self._open.subtract(slot)
        for key in slot:
            if self._open[key] <= 0:
                del self._open[key]
