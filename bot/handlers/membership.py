"""The citizen blocked or unblocked the bot: remember it, so nothing is sent in vain."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import KICKED, MEMBER, ChatMemberUpdatedFilter
from aiogram.types import ChatMemberUpdated

from bot.filters import PRIVATE_CHAT
from bot.profiles import Profiles

router = Router(name=__name__)
router.my_chat_member.filter(PRIVATE_CHAT)


@router.my_chat_member(ChatMemberUpdatedFilter(member_status_changed=KICKED))
async def blocked(event: ChatMemberUpdated, profiles: Profiles) -> None:
    await profiles.set_blocked(event.chat.id, True)


@router.my_chat_member(ChatMemberUpdatedFilter(member_status_changed=MEMBER))
async def unblocked(event: ChatMemberUpdated, profiles: Profiles) -> None:
    await profiles.set_blocked(event.chat.id, False)
