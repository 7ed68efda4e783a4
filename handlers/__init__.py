"""Conversation features, channel-neutral. `register` wires them onto the core."""

from __future__ import annotations

from bot.core.messages import Reply
from bot.core.payloads import Action
from bot.core.router import Conversation
from bot.core.turn import Turn
from bot.faq import followups as faq_followups
from handlers import (
    broadcast,
    faq,
    handoff,
    menu,
    my_registrations,
    news,
    onboarding,
    privacy,
    reminders,
    staff_login,
    training_signup,
)


def register(conversation: Conversation) -> None:
    c = conversation
    c.menu = menu.menu_options
    c.free_text = faq.free_text
    c.topic_handler = faq.answer_topic

    # Commands, registered once: menu=True lists them in Telegram's command menu and
    # in the unknown-command help, in this order.
    c.command("start", menu=True)(onboarding.start)
    c.command("menu", menu=True)(menu.show_menu)
    c.command("dangky", "signup", menu=True)(_signup)
    c.command("lichcuatoi", "mine", menu=True)(my_registrations.show_mine)
    c.command("help", "trogiup", menu=True)(_help)
    c.command("cancel", "huy", menu=True)(menu.cancel)
    c.command("lang", "ngonngu", menu=True)(onboarding.language)
    c.command("mydata", menu=True)(privacy.my_data)
    c.command("forget", menu=True)(privacy.forget)
    c.command("myid", "maso")(privacy.my_id)  # staff: the id a role is granted to
    c.command("nhaclich", "reminders", menu=True)(reminders.mine)
    c.command("tattin", "stopnews", menu=True)(news.stop_news)
    c.command("broadcast", "guitin")(broadcast.start)  # staff: not in the public menu
    c.command("broadcasts")(broadcast.recent)
    c.command("hoicanbo", "human", menu=True)(handoff.ask_person)
    c.command("dangnhap", "login")(staff_login.login)  # staff: a console sign-in link
    c.command(*handoff.REPLY_COMMANDS)(handoff.reply_as_staff)  # staff: answer a ticket
    c.on_reply = handoff.reply_to_notification  # staff: a swipe-reply answers it too

    c.flow(onboarding.FLOW, onboarding.step)
    c.flow(onboarding.LANGUAGE_FLOW, onboarding.language_step)
    c.flow(news.FLOW, news.step)
    c.flow(privacy.FLOW, privacy.forget_step)
    c.flow(privacy.MYDATA_FLOW, privacy.more_questions)
    c.flow(training_signup.FLOW, training_signup.step)
    c.flow(my_registrations.FLOW, my_registrations.step)
    c.flow(reminders.FLOW, reminders.step)
    c.flow(broadcast.FLOW, broadcast.step)
    c.flow(broadcast.LIST_FLOW, broadcast.recent_step)
    c.flow(handoff.FLOW, handoff.step)

    c.action(Action.MENU, menu.show_menu)
    c.action(Action.FAQ, menu.faq_prompt)
    c.action(Action.TRAINING, _signup)
    c.action(Action.MINE, my_registrations.show_mine)
    c.action(Action.BROADCAST, broadcast.start)
    c.action(Action.EVENTS, reminders.events_menu)
    c.action(Action.MY_REMINDERS, reminders.mine)
    c.action(Action.NEWS, news.settings)
    c.action(Action.STOP_NEWS, news.stop_news)
    c.action(Action.PRIVACY, privacy.privacy_menu)
    c.action(Action.MY_DATA, privacy.my_data)
    c.action(Action.FORGET, privacy.forget)
    c.action(Action.HANDOFF, handoff.ask_person)
    c.action(Action.HANDOFF_LAST, handoff.send_last)

    c.payload_kind(faq_followups.SUGGESTION_KIND, faq.followup)
    c.payload_kind(faq_followups.RATING_KIND, faq.followup)


async def _help(turn: Turn) -> list[Reply]:
    turn.finish()
    return await faq.answer_topic(turn, "bot.help")


async def _signup(turn: Turn) -> list[Reply]:
    return await training_signup.start(turn)
