"""A person behind the bot. Citizens: /hoicanbo (/human) or the offer after an answer
that did not help; the question goes to their commune's team, follow-ups join it
(the bot does not talk over the team) until they write "xong" or /cancel. Staff:
/traloi <number> <answer> (/reply), on any channel."""

from __future__ import annotations

from datetime import datetime

from bot.core import payloads
from bot.core.flow import UNHANDLED, Step, StepResult, run_step
from bot.core.messages import Option, Reply
from bot.core.payloads import Action
from bot.core.refused import Refused
from bot.core.turn import Turn
from bot.handoff import notify, office, store
from bot.staff.scope import actor_of, role_of
from bot.storage.models import Ticket
from bot.time import stored_now
from knowledge.normalise import normalise

FLOW = "handoff"
LEAVE = "leave"
LAST = "last"
REPLY_COMMANDS = ("traloi", "reply")
_LEAVE_WORDS = frozenset({"xong", "xong roi", "done", "thoi", "ket thuc", "het", "da xong"})
_THANKS = frozenset({"cam on", "cam on nhieu", "cam on ban", "cam on can bo", "thanks",
                     "thank you", "tks", "ok", "oke", "vang", "da", "duoc roi", "hieu roi"})
_PARTICLES = frozenset({"a", "nhe", "nha", "ha", "ah", "oi", "nhieu"})


async def ask_person(turn: Turn) -> list[Reply]:
    """/hoicanbo [question]: open a ticket, or ask for the question first."""
    question = "" if turn.incoming.payload else turn.text.strip()  # a button has no question
    if question:
        return await _open(turn, question)
    last = await _last_question(turn)
    turn.start(FLOW, "question", last=last)
    options = [turn.option("handoff_send_last", LAST, question=last[:60])] if last else []
    return [turn.say("handoff_what", options=options)]


async def send_last(turn: Turn) -> list[Reply]:
    """The offer under a fallback or after a 👎: the question just asked, to a person."""
    last = await _last_question(turn)
    if not last:
        return await ask_person(turn)
    return await _open(turn, last)


def offer(turn: Turn) -> Option:
    return Option(turn.t("handoff_offer"), payloads.action(Action.HANDOFF_LAST))


async def _last_question(turn: Turn) -> str:
    """The person's latest question to the bot (it may not be written to the log yet)."""
    waiting = turn.services.question_log.waiting_of(turn.user.id)
    if waiting:
        return waiting[-1].text
    return await store.last_question(turn.session, turn.user.id) or ""


async def step(turn: Turn) -> StepResult:
    return await run_step(turn, STEPS)


async def _question_step(turn: Turn) -> StepResult:
    if turn.choice == LAST and turn.data.get("last"):
        return await _open(turn, str(turn.data["last"]))
    if turn.choice:
        return UNHANDLED
    if not turn.text.strip():
        return [turn.say("handoff_what")]
    return await _open(turn, turn.text.strip())


async def _open(turn: Turn, text: str) -> list[Reply]:
    now = stored_now(turn.clock)
    try:
        ticket, team, first = await store.open_ticket(turn.session, turn.user, text, now)
    except Refused as refused:
        turn.finish()
        return [turn.say(refused.key, count=store.MAX_OPEN)]
    await notify.tell_team(turn.session, turn.services.communes, team, ticket, turn.user, text,
                           first, now)
    turn.start(FLOW, "follow", ticket=ticket.id)
    team_name = notify.team_name(turn.services.communes, turn.lang, ticket)
    return [turn.say("handoff_opened", options=[turn.option("handoff_done", LEAVE)],
                     number=ticket.id, team=team_name, when=_when(turn))]


async def _follow_step(turn: Turn) -> StepResult:
    """While the ticket is live and recent, what the person writes is for the team;
    "xong" leaves, a thank-you after the answer closes the exchange politely."""
    said = _plain(turn.text)
    if turn.choice == LEAVE or said in _LEAVE_WORDS:
        turn.finish()
        return [turn.say("handoff_left")]
    if turn.choice:
        return UNHANDLED
    now = stored_now(turn.clock)
    ticket = await store.following(turn.session, turn.user.id, int(turn.data["ticket"]), now)
    if ticket is None:
        return UNHANDLED  # answered long ago or closed: the bot answers again
    if not turn.text.strip():
        return [turn.say("handoff_follow_empty", number=ticket.id)]
    if said in _THANKS:
        turn.finish()
        answered = ticket.status == store.Status.ANSWERED
        return [turn.say("handoff_thanks" if answered else "handoff_left")]
    return await _add_follow_up(turn, ticket, now)


async def _add_follow_up(turn: Turn, ticket: Ticket, now: datetime) -> list[Reply]:
    """The person's message joins TICKET; whoever answers it hears of it."""
    message_id = await store.add_question(turn.session, ticket, turn.text, now)
    team = await store.followers(turn.session, ticket)
    await notify.tell_team(turn.session, turn.services.communes, team, ticket, turn.user,
                           turn.text, message_id, now, follow_up=True)
    turn.start(FLOW, "follow", ticket=ticket.id)
    return [turn.say("handoff_added", options=[turn.option("handoff_done", LEAVE)],
                     number=ticket.id)]


def _plain(text: str) -> str:
    """TEXT without accents, case, punctuation or a polite ending ("Xong ạ" → "xong")."""
    words = normalise(text).split()
    while len(words) > 1 and words[-1] in _PARTICLES:
        words.pop()
    return " ".join(words)


STEPS: dict[str, Step] = {"question": _question_step, "follow": _follow_step}


async def reply_as_staff(turn: Turn) -> list[Reply]:
    """/traloi <number> <answer>: the team's answer, to the person on their channel. Read
    from the whole message: an answer may be longer than a question (up to MAX_TEXT)."""
    args = (turn.incoming.text or "").split(maxsplit=1)[1:]
    number_and_text = args[0].split(maxsplit=1) if args else []
    number = _number(number_and_text[0]) if number_and_text else None
    text = number_and_text[1].strip() if len(number_and_text) > 1 else ""
    return await _staff_answer(turn, number, text)


async def _staff_answer(turn: Turn, number: int | None, text: str) -> list[Reply]:
    incoming = turn.incoming
    role = await role_of(turn.session, incoming.channel, incoming.user_id)
    if role is None:
        return [turn.say("handoff_not_staff")]
    if len(text) > store.MAX_TEXT:
        return [turn.say("handoff_reply_too_long", most=store.MAX_TEXT)]
    if number is None or not text:
        return [turn.say("handoff_reply_usage")]
    now = stored_now(turn.clock)
    try:
        answered = await store.answer(turn.session, role, actor_of(role), number, text, now)
    except Refused as refused:
        return [turn.say(refused.key, number=number)]
    if answered.repeated:
        return [turn.say("handoff_already_sent", number=number)]
    if not await notify.give_answer(turn.session, turn.services.communes, answered, text, now):
        return [turn.say("handoff_person_blocked", number=number)]
    return [turn.say("handoff_reply_sent", number=number)]


async def reply_to_notification(turn: Turn) -> StepResult:
    """A swipe-reply: to a staff notification, it answers that ticket as /traloi would;
    to the officers' answer, the person's message joins their question again."""
    replied = turn.incoming.reply_to or ""
    number = notify.replied_ticket(replied)
    if number is not None:
        return await _staff_answer(turn, number, (turn.incoming.text or "").strip())
    number = notify.answered_ticket(replied)
    ticket = number and await store.owned(turn.session, turn.user.id, number)
    if not ticket or not turn.text.strip():
        return UNHANDLED
    return await _add_follow_up(turn, ticket, stored_now(turn.clock))


def _number(raw: str) -> int | None:
    """A ticket number as people type it: ASCII digits ("²" or "١" are not numbers here)."""
    digits = raw.lstrip("#")
    return int(digits) if digits.isascii() and digits.isdigit() and len(digits) <= 9 else None


def _when(turn: Turn) -> str:
    """Inside office hours: within the working day; outside: from the next one."""
    config = turn.services.config
    start, end = config.office_hours
    hours = f"{start:%H:%M}–{end:%H:%M}"
    if office.at_work(turn.clock.now(), config.office_hours, config.tz):
        return turn.t("handoff_when_office", hours=hours)
    return turn.t("handoff_when_later", hours=hours)
