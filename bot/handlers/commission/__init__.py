"""Commission group actions: Take, Answer, Resolve, Not ours — only for the members listed in
the commissions file, every action (and every refusal) in the audit log.

`router` is included by `bot.handlers.routers()` under the group-chat filter.
"""

from aiogram import Router

from bot.handlers.commission import batch, buttons, replies

router = Router(name=__name__)
router.include_routers(buttons.router, batch.router, replies.router)
