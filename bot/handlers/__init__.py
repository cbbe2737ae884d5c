"""The router tree: one Router per feature, under parents that filter by chat type.

Private chats are the citizens' (the order matters: commands first, then the dialogue steps,
then free text, then the fallback); groups are the commissions'.
"""

from __future__ import annotations

from aiogram import Router

from bot.filters import GROUP_BUTTON, GROUP_CHAT, PRIVATE_BUTTON, PRIVATE_CHAT
from bot.handlers import (
    commission,
    contact,
    errors,
    evidence,
    fallback,
    forget,
    freetext,
    membership,
    place,
    report,
    start,
    status,
    summary,
)

PRIVATE_FEATURES = (
    start.router,
    status.router,
    forget.router,
    report.router,
    place.router,
    evidence.router,
    contact.router,
    summary.router,
    freetext.router,
    fallback.router,
)


def _detach(router: Router) -> Router:
    """Feature routers are module-level; a new dispatcher in the same process (a restart in
    a test, the benchmark) takes them over from the old one."""
    parent = router.parent_router
    if parent is not None:
        parent.sub_routers.remove(router)
        router._parent_router = None
    return router


def routers() -> list[Router]:
    """The top-level routers for `Dispatcher.include_routers`."""
    private = Router(name="private")
    private.message.filter(PRIVATE_CHAT)
    private.callback_query.filter(PRIVATE_BUTTON)
    private.include_routers(*(_detach(r) for r in PRIVATE_FEATURES))

    groups = Router(name="groups")
    groups.message.filter(GROUP_CHAT)
    groups.callback_query.filter(GROUP_BUTTON)
    groups.include_router(_detach(commission.router))

    return [_detach(membership.router), private, groups, _detach(errors.router)]
