"""Free text → the knowledge base: answer, suggest the nearest topics, or say we do not know.

Every question is logged (text, normalised text, outcome, topic, score) so staff
can see what people ask that the knowledge base does not cover yet.
"""

from __future__ import annotations

from bot.core import payloads
from bot.core.messages import Option, Reply
from bot.core.turn import Turn
from bot.faq import followups as faq_followups
from bot.faq.followups import FollowupKind, question_ref, rating_payload, suggestion_payload
from bot.faq.question_log import LoggedQuestion
from bot.time import stored_now
from handlers import handoff
from handlers.menu import TOPIC_ACTIONS, menu_options, topic_option
from knowledge.kb import Topic
from knowledge.matcher import ANSWER, SUGGEST, Match
from knowledge.normalise import has_vietnamese_marks, normalise

# Topic actions that start a feature when the question asks for it outright
# ("tôi muốn đăng ký tập huấn"); other topics show the action as a button.
STARTS_FEATURE = {"training.signup", "training.mine"}
SMALLTALK = "smalltalk"  # the category of greetings and thanks: no rating under those


def answer_language(turn: Turn, text: str) -> str:
    if turn.services.kb.detect_language(text) == "en":
        return "en"
    if has_vietnamese_marks(text):
        return "vi"
    return turn.lang


def render_topic(turn: Turn, topic: Topic, lang: str) -> Reply:
    options: list[Option] = []
    for option in topic.options:
        label = option.label.get(lang) or option.label["vi"]
        if option.topic:
            options.append(Option(label, payloads.topic(option.topic)))
        elif option.url:
            options.append(Option(label, url=option.url))
        elif option.action in TOPIC_ACTIONS:
            options.append(Option(label, payloads.action(TOPIC_ACTIONS[option.action])))
    if topic.action == "menu" or not options:
        options.extend(menu_options(turn))
    return Reply(topic.answer_for(lang, turn.today()), options)


async def answer_topic(turn: Turn, topic_id: str) -> list[Reply]:
    topic = turn.services.kb.topics[topic_id]
    if topic.action == "privacy":
        from handlers.privacy import privacy_menu

        return await privacy_menu(turn)
    return [render_topic(turn, topic, turn.lang)]


# Typed words that stop commune news: the footer of every broadcast names them.
STOP_NEWS = frozenset({"tat tin", "tat thong bao", "ngung nhan tin", "huy nhan tin",
                       "stop news", "stop", "dung gui tin"})


def _log(turn: Turn, text: str, normalised: str, match: Match) -> str:
    """Queue the question for the log; return its ref for the reply's follow-up options."""
    ref = question_ref(turn.user.id, normalised)
    turn.questions.append(LoggedQuestion(
        user_id=0,  # the router fills in the id once the turn is committed
        text=text[:2000],
        normalised=normalised[:2000],
        outcome=match.outcome,
        topic=match.topic,
        score=float(match.score),
        created_at=stored_now(turn.clock),
        ref=ref,
        commune_code=turn.user.commune_code,
    ))
    return ref


def _rating(turn: Turn, ref: str, topic: Topic, lang: str) -> list[Option]:
    """A light 👍 / 👎 under an answer; none under greetings and thanks."""
    if topic.category == SMALLTALK:
        return []
    return [Option(turn.t("faq_helpful", lang=lang), rating_payload(ref, True, topic.id)),
            Option(turn.t("faq_unhelpful", lang=lang), rating_payload(ref, False, topic.id))]


def _with_followups(turn: Turn, reply: Reply, match: Match, ref: str, lang: str) -> Reply:
    """The answer plus the other question's topic, if any, and the rating."""
    assert match.topic is not None
    extra = [topic_option(turn, topic, lang) for topic in match.also]
    rating = _rating(turn, ref, turn.services.kb.topics[match.topic], lang)
    text = reply.text
    if extra:
        text += "\n\n" + turn.t("faq_also", lang=lang)
    return Reply(text, [*extra, *reply.options, *rating], reply.attachment, reply.request_phone)


async def free_text(turn: Turn) -> list[Reply]:
    text = turn.text
    normalised = normalise(text)
    if normalised in STOP_NEWS:
        from handlers.news import stop_news

        return await stop_news(turn)
    kb = turn.services.kb
    match = kb.matcher.match(text)
    ref = _log(turn, text, normalised, match)
    lang = answer_language(turn, text)
    if match.outcome == ANSWER and match.topic:
        topic = kb.topics[match.topic]
        if topic.action == "privacy":
            return await answer_topic(turn, topic.id)
        if topic.action in STARTS_FEATURE:
            from handlers import my_registrations, training_signup

            if topic.action == "training.signup":
                return await training_signup.start(turn)
            return await my_registrations.show_mine(turn)
        return [_with_followups(turn, render_topic(turn, topic, lang), match, ref, lang)]
    if match.outcome == SUGGEST:
        options = [Option(topic_option(turn, t, lang).label, suggestion_payload(ref, t))
                   for t in match.suggestions]
        return [turn.say("faq_suggest", options=options, lang=lang)]
    return [turn.say("faq_fallback", options=[handoff.offer(turn), *menu_options(turn)],
                     lang=lang)]


async def followup(turn: Turn, kind: str, rest: str) -> list[Reply]:
    """A suggestion picked (show it, note the pair) or an answer rated (thank, note it)."""
    found = faq_followups.parse(kind, rest)  # the router checked it was offered
    if found is None or found.topic not in turn.services.kb.topics:
        return [turn.say("stale_option", options=menu_options(turn))]
    await faq_followups.record(turn.session, turn.user.id, found, stored_now(turn.clock))
    if found.kind is FollowupKind.CHOSEN:
        turn.finish()
        replies = await answer_topic(turn, found.topic)
        topic = turn.services.kb.topics[found.topic]
        if len(replies) == 1 and topic.action is None:
            replies[0].options += _rating(turn, found.ref, topic, turn.lang)
        return replies
    if found.kind is FollowupKind.HELPFUL:
        return [turn.say("faq_thanks_helpful", options=menu_options(turn))]
    return [turn.say("faq_thanks_unhelpful", options=[handoff.offer(turn), *menu_options(turn)])]
