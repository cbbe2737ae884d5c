"""Telegram's flood limits, kept on our side: at most one message a second to a chat, twenty a
minute to a group, thirty a second overall.

`wait(chat_id)` says how long until a message to that chat is allowed; `sent(chat_id)` records
one. In-process only: several outbox processes each keep their own count, so run one
Telegram sender per bot token (429s that still happen are retried after `retry_after`).
"""

from __future__ import annotations

from collections import defaultdict, deque

from notify.clock import Clock

PER_CHAT_SECONDS = 1.0
GROUP_PER_MINUTE = 20
OVERALL_PER_SECOND = 30
# Messages a minute kept back in each group for "N new cases" once alerts come faster than
# the group may receive them (notify.coalesce).
COALESCE_RESERVE = 5


def is_group(chat_id: int) -> bool:
    return chat_id < 0  # groups and supergroups have negative ids; people positive


class Pacer:
    def __init__(
        self,
        clock: Clock,
        *,
        per_chat: float = PER_CHAT_SECONDS,
        group_per_minute: int = GROUP_PER_MINUTE,
        overall_per_second: int = OVERALL_PER_SECOND,
    ) -> None:
        self.clock = clock
        self.per_chat = per_chat
        self.group_per_minute = group_per_minute
        self.overall_per_second = overall_per_second
        self._last: dict[int, float] = {}
        self._group: dict[int, deque[float]] = defaultdict(deque)
        self._overall: deque[float] = deque()

    def _forget(self, now: float) -> None:
        while self._overall and self._overall[0] <= now - 1.0:
            self._overall.popleft()

    def wait(self, chat_id: int) -> float:
        """Seconds until one more message to `chat_id` keeps every limit (0 when it may go)."""
        now = self.clock.monotonic()
        self._forget(now)
        at = now
        if chat_id in self._last:
            at = max(at, self._last[chat_id] + self.per_chat)
        recent = self._group.get(chat_id)
        if is_group(chat_id) and recent:
            while recent and recent[0] <= now - 60.0:
                recent.popleft()
            if len(recent) >= self.group_per_minute:
                at = max(at, recent[-self.group_per_minute] + 60.0)
        if len(self._overall) >= self.overall_per_second:
            at = max(at, self._overall[-self.overall_per_second] + 1.0)
        return max(0.0, at - now)

    def crowded(self, chat_id: int) -> bool:
        """True when a group has used its minute's budget down to the reserve: further alerts
        to it go together in one message."""
        if not is_group(chat_id):
            return False
        now = self.clock.monotonic()
        recent = self._group.get(chat_id)
        while recent and recent[0] <= now - 60.0:
            recent.popleft()
        return len(recent or ()) >= self.group_per_minute - COALESCE_RESERVE

    def sent(self, chat_id: int) -> None:
        now = self.clock.monotonic()
        self._last[chat_id] = now
        if is_group(chat_id):
            self._group[chat_id].append(now)
        self._overall.append(now)
