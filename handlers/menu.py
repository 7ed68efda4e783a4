"""Main menu, help and cancel."""

from __future__ import annotations

from bot.core import payloads
from bot.core.messages import Option, Reply
from bot.core.payloads import Action
from bot.core.turn import Turn

MENU_ITEMS = (
    ("menu_faq", payloads.action(Action.FAQ)),
    ("menu_training", payloads.action(Action.TRAINING)),
    ("menu_events", payloads.action(Action.EVENTS)),
    ("menu_news", payloads.action(Action.NEWS)),
    ("menu_handoff", payloads.action(Action.HANDOFF)),
    ("menu_privacy", payloads.action(Action.PRIVACY)),
)
FAQ_EXAMPLES = ("domain.idvn.free", "domain.bizvn.free", "nq57.what", "campaign.digital_day")


def menu_options(turn: Turn) -> list[Option]:
    return [Option(turn.t(key), payload) for key, payload in MENU_ITEMS]


def topic_option(turn: Turn, topic_id: str, lang: str | None = None) -> Option:
    topic = turn.services.kb.topics[topic_id]
    return Option(topic.questions[lang or turn.lang][0].rstrip("?") + "?", payloads.topic(topic_id))


async def show_menu(turn: Turn) -> list[Reply]:
    from bot.staff.scope import role_of

    turn.finish()
    options = menu_options(turn)
    if await role_of(turn.session, turn.incoming.channel, turn.incoming.user_id):
        options.append(Option(turn.t("menu_staff"), payloads.action(Action.BROADCAST)))
    return [turn.say("menu", options=options)]


async def faq_prompt(turn: Turn) -> list[Reply]:
    return [turn.say("faq_prompt", options=[topic_option(turn, t) for t in FAQ_EXAMPLES])]


# Topic actions (knowledge files) → menu actions (router).
TOPIC_ACTIONS = {"training.signup": Action.TRAINING, "training.mine": Action.MINE,
                 "menu": Action.MENU, "privacy": Action.PRIVACY, "news": Action.NEWS,
                 "reminders": Action.EVENTS, "handoff": Action.HANDOFF}


async def cancel(turn: Turn) -> list[Reply]:
    if not turn.in_dialog:
        return [turn.say("nothing_to_cancel", options=menu_options(turn))]
    turn.finish()
    return [turn.say("cancelled", options=menu_options(turn))]
