"""/mydata shows everything stored about the user; /forget deletes it after a confirmation."""

from __future__ import annotations

from bot.core import payloads
from bot.core.flow import UNHANDLED, StepResult
from bot.core.messages import Option, Reply
from bot.core.payloads import Action
from bot.core.turn import Turn
from bot.privacy.store import (
    QUESTIONS_PER_PAGE,
    AskedQuestion,
    PersonalData,
    forget_person,
    personal_data,
    questions_page,
)
from bot.reminders import events
from bot.storage.models import RegistrationStatus
from bot.time import show, stored_now
from bot.training.store import forget_user, registrations_of, waitlist_position
from handlers import commune_picker
from handlers.menu import menu_options
from knowledge.audience import LABEL_KEYS

FLOW = "forget"
MYDATA_FLOW = "mydata"


async def privacy_menu(turn: Turn) -> list[Reply]:
    topic = turn.services.kb.topics["bot.privacy"]
    return [
        Reply(topic.answer_for(turn.lang, turn.today())),
        turn.say("privacy_menu", options=[
            Option(turn.t("opt_mydata"), payloads.action(Action.MY_DATA)),
            Option(turn.t("opt_forget"), payloads.action(Action.FORGET)),
        ]),
    ]


async def my_id(turn: Turn) -> list[Reply]:
    """/myid: the person's id on this channel, which staff give `staff grant --user`."""
    return [turn.say("my_id", channel=turn.incoming.channel, id=turn.incoming.user_id)]


async def my_data(turn: Turn) -> list[Reply]:
    """Everything stored about the person, then their questions, newest first."""
    user, tz = turn.user, turn.services.config.tz
    data = await personal_data(turn.session, user)
    data.question_count += turn.services.question_log.waiting_for(user.id)
    audience_keys: dict[str, str] = dict(LABEL_KEYS)
    signups = [
        turn.t("mydata_registration", title=r.session.title(turn.lang), name=r.full_name or "—",
               phone=r.phone or "—",
               extra="".join(f", {k}: {v}" for k, v in (r.extra or {}).items()),
               state=turn.t("state_confirmed") if r.status == RegistrationStatus.CONFIRMED
               else turn.t("state_waitlisted",
                           position=await waitlist_position(turn.session, r)))
        for r in await registrations_of(turn.session, user.id)
    ]
    reply = turn.say(
        "mydata",
        channel=user.channel,
        user_id=user.channel_user_id,
        display_name=user.display_name or "—",
        language=turn.t("opt_vi") if user.language == "vi" else turn.t("opt_en"),
        commune=commune_picker.name(turn, user.commune_code),
        audience=turn.t(audience_keys[user.audience]) if user.audience in audience_keys else "—",
        news=turn.t("yes" if user.news_opt_in else "no"),
        consent=show(user.consent_at, tz, turn.lang),
        created=show(user.created_at, tz, turn.lang),
        last_seen=show(user.last_seen_at, tz, turn.lang),
        questions=data.question_count,
    )
    titles = await events.titles(turn.session)
    names = {i: t.get(turn.lang) or t["vi"] for i, t in titles.items()}
    lines = [*signups, *_other_data(turn, data, audience_keys, names)]
    if lines:
        reply.text += "\n" + "\n".join(lines)
    return [reply, *await _questions(turn, 0)]


def _other_data(turn: Turn, data: PersonalData, audience_keys: dict[str, str],
                names: dict[str, str]) -> list[str]:
    lines = [turn.t("mydata_events",
                    events=", ".join(names.get(e, e) for e in data.event_ids) or turn.t("none")),
             turn.t("mydata_watches", audiences=", ".join(
                 turn.t(audience_keys.get(a, "aud_other")) for a in data.watched_audiences)
                 or turn.t("none")),
             turn.t("mydata_ratings", count=data.ratings),
             turn.t("mydata_tickets", tickets=", ".join(
                 turn.t("mydata_ticket", number=n, state=turn.t(f"handoff_status_{s}"))
                 for n, s in data.tickets) or turn.t("none"))]
    if data.staff_role is not None:
        lines.append(turn.t("mydata_staff", role=data.staff_role.role,
                            commune=data.staff_role.commune_code or "—",
                            broadcasts=data.scheduled_broadcasts))
    return lines


async def _questions(turn: Turn, page: int) -> list[Reply]:
    waiting = [AskedQuestion(q.text, q.created_at)
               for q in turn.services.question_log.waiting_of(turn.user.id)]
    asked = await questions_page(turn.session, turn.user.id, page, waiting)
    if not asked:
        return [turn.say("mydata_no_questions" if page == 0 else "mydata_no_more_questions")]
    tz = turn.services.config.tz
    text = "\n".join([turn.t("mydata_questions", page=page + 1),
                      *(turn.t("mydata_question", at=show(q.at, tz, turn.lang), text=q.text)
                        for q in asked)])
    options = []
    if len(asked) == QUESTIONS_PER_PAGE:
        turn.start(MYDATA_FLOW, "questions", page=page)
        options.append(turn.option("opt_more_questions", "more"))
    return [Reply(text, options)]


async def more_questions(turn: Turn) -> StepResult:
    """The next page of /mydata's questions; anything typed instead goes to the FAQ."""
    if turn.choice != "more":
        return UNHANDLED
    page = int(turn.data.get("page", 0)) + 1
    turn.finish()
    return await _questions(turn, page)


async def forget(turn: Turn) -> list[Reply]:
    data = await personal_data(turn.session, turn.user)
    turn.start(FLOW, "confirm")
    options = [turn.option("opt_forget_yes", "yes"), turn.option("opt_forget_no", "no")]
    if data.staff_role is not None:
        return [turn.say("forget_confirm_staff", options=options, role=data.staff_role.role,
                         broadcasts=data.scheduled_broadcasts)]
    return [turn.say("forget_confirm", options=options)]


async def forget_step(turn: Turn) -> StepResult:
    """/forget's one step: yes deletes everything (freed seats go on), no keeps it."""
    if turn.choice == "yes":
        lang = turn.lang
        from handlers.my_registrations import notify_promoted

        now = stored_now(turn.clock)
        for promoted in await forget_user(turn.session, turn.user.id, now):
            await notify_promoted(turn, promoted)
        turn.services.question_log.forget(turn.user.id)
        await forget_person(turn.session, turn.user, now)
        turn.forgotten = True
        turn.session.expunge_all()
        turn.user.language = lang
        return [turn.say("forget_done")]
    if turn.choice == "no":
        turn.finish()
        return [turn.say("forget_kept", options=menu_options(turn))]
    return await forget(turn)
