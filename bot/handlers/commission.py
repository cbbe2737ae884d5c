"""Commission group actions (Take, Answer, Resolve, Not ours): built with the commissions issue."""

from aiogram import Router

router = Router(name=__name__)
