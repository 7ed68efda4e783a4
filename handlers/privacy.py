"""/mydata shows everything stored about the user; /forget deletes it after a confirmation."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from bot.clock import stored_now
from bot.core.messages import Option, Reply
from bot.core.turn import Turn
from bot.storage.models import QuestionLog, User
from bot.timefmt import show
from bot.training_store import forget_user, registrations_of, waitlist_position
from handlers import commune_picker
from handlers.menu import menu_options

FLOW = "forget"


async def privacy_menu(turn: Turn) -> list[Reply]:
    topic = turn.services.kb.topics["bot.privacy"]
    return [
        Reply(topic.answer_for(turn.lang, turn.today())),
        turn.say("privacy_menu", options=[
            Option(turn.t("opt_mydata"), "m:mydata"), Option(turn.t("opt_forget"), "m:forget"),
        ]),
    ]


async def my_data(turn: Turn) -> list[Reply]:
    user, tz = turn.user, turn.services.config.tz
    questions = await turn.session.scalar(
        select(func.count()).select_from(QuestionLog).where(QuestionLog.user_id == user.id)
    ) + turn.services.question_log.waiting_for(user.id)
    audience_keys = {"youth": "aud_youth", "business": "aud_business", "staff": "aud_staff",
                     "other": "aud_other"}
    signups = [
        turn.t("mydata_registration", title=r.session.title(turn.lang), name=r.full_name or "—",
               phone=r.phone or "—",
               extra="".join(f", {k}: {v}" for k, v in (r.extra or {}).items()),
               state=turn.t("state_confirmed") if r.status == "confirmed"
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
        questions=questions or 0,
    )
    if signups:
        reply.text += "\n" + "\n".join(signups)
    return [reply]


async def forget(turn: Turn) -> list[Reply]:
    turn.start(FLOW, "confirm")
    return [turn.say("forget_confirm", options=[
        turn.option("opt_forget_yes", "yes"), turn.option("opt_forget_no", "no"),
    ])]


async def forget_step(turn: Turn) -> list[Reply]:
    if turn.choice == "yes":
        lang = turn.lang
        from handlers.my_registrations import notify_promoted

        for promoted in await forget_user(turn.session, turn.user.id, stored_now(turn.clock)):
            await notify_promoted(turn, promoted)
        turn.services.question_log.forget(turn.user.id)
        await turn.session.execute(delete(QuestionLog).where(QuestionLog.user_id == turn.user.id))
        await turn.session.execute(delete(User).where(User.id == turn.user.id))
        turn.forgotten = True
        turn.session.expunge_all()
        turn.user.language = lang
        return [turn.say("forget_done")]
    if turn.choice == "no":
        turn.finish()
        return [turn.say("forget_kept", options=menu_options(turn))]
    return await forget(turn)
