"""Alerts to a group that is out of Telegram's budget go together: when the next alert's group
has used its minute down to the reserve (`Pacer.crowded`), the lane takes the other new-case
alerts to that group it holds, claims more that are due for it, and sends them all as one
"N new cases" message (`TelegramChannel.deliver_many`); each row is then settled by that one
message's outcome — sent, or put back together. Nothing owed is dropped: every row that went
into the message is marked sent with the message's id and the count it carried."""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.tables import Notification
from notify.content import Loaded

if TYPE_CHECKING:
    from notify.lanes import Holding

BATCH_MAX = 30  # cases in one message (bot.handlers.commission.batch keeps its text short)


async def gather_crowded(
    holding: Holding, row: Notification, loaded: Loaded | None
) -> list[tuple[Notification, Loaded]] | None:
    """The rows to send with `row` in one message, `row` first; None to send it alone."""
    from notify.worker import Coalescing

    worker = holding.worker
    channel = worker.channels.get(row.channel)
    if loaded is None or not isinstance(channel, Coalescing) or not channel.coalesces(loaded):
        return None
    together = [(row, loaded)]
    async with holding.changed:
        waiting = holding.waiting[row.channel]
        for other in list(waiting):
            item = holding.loaded.get(other.id)
            if len(together) < BATCH_MAX and _fits(row, other, item) and holding.covers(other):
                assert item is not None
                waiting.remove(other)
                holding.loaded.pop(other.id, None)
                together.append((other, item))
    room = BATCH_MAX - len(together)
    extra, found = (
        await worker.claim_loaded(room, recipients=[row.recipient], kinds={"alert"})
        if room
        else ([], {})
    )
    if extra:
        alone = []
        for other in extra:
            item = found.get(other.id)
            if _fits(row, other, item) and item is not None and channel.coalesces(item):
                together.append((other, item))
            else:
                alone.append(other)
        mine = {other.id: found[other.id] for other in alone if other.id in found}
        await holding.add(alone, mine)  # follow-ups and the like go one by one
    return together if len(together) > 1 else None


def _fits(row: Notification, other: Notification, item: Loaded | None) -> bool:
    return (
        item is not None
        and other.recipient == row.recipient
        and other.kind == "alert"
        and not item.is_followup
        and item.case is not None
    )
