"""The dialogues' FSM states."""

from aiogram.fsm.state import State, StatesGroup


class Report(StatesGroup):
    category = State()
    region = State()
    place = State()
    text = State()
    contact = State()
    phone = State()
    email = State()
    summary = State()


class FollowUp(StatesGroup):
    code = State()
    add_info = State()


STEP_STATES = {
    "category": Report.category,
    "region": Report.region,
    "place": Report.place,
    "text": Report.text,
    "contact": Report.contact,
    "summary": Report.summary,
}
