"""Database tables. Times are stored as naive UTC datetimes (see `utcnow`)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    """Naive UTC: portable across SQLite and PostgreSQL `timestamp` columns."""
    return datetime.now(UTC).replace(tzinfo=None)


class SessionStatus(StrEnum):
    """A training session's state, as stored in training_sessions.status."""

    OPEN = "open"
    CLOSED = "closed"


class OutboxStatus(StrEnum):
    """An outbox row's state: pending until the engine records what the send came to."""

    PENDING = "pending"
    SENT = "sent"
    BLOCKED = "blocked"
    INVALID = "invalid"
    FAILED = "failed"  # gave up after the last retry
    UNREACHABLE = "unreachable"  # outside the platform's window until the person writes
    CANCELLED = "cancelled"  # a stopped broadcast, a reminder for a closed session


class InboxStatus(StrEnum):
    """An incoming update's state: pending until a worker's turn for it commits."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"  # could not be read (a malformed body): kept, never retried
    PARKED = "parked"  # its turn failed again and again: set aside, the person told


class BroadcastStatus(StrEnum):
    QUEUED = "queued"
    DONE = "done"
    CANCELLED = "cancelled"


class RegistrationStatus(StrEnum):
    """A registration's state, as stored in registrations.status."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "channel_user_id", name="uq_users_channel_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    channel_user_id: Mapped[str] = mapped_column(String(128))
    chat_id: Mapped[str | None] = mapped_column(String(128))
    display_name: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(5), default="vi")
    commune_code: Mapped[str | None] = mapped_column(String(8), index=True)
    audience: Mapped[str | None] = mapped_column(String(16))
    news_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Loaded with the user in one query: every message needs both.
    dialog: Mapped[DialogState | None] = relationship(
        lazy="joined", uselist=False, cascade="all, delete-orphan", passive_deletes=True
    )


class DialogState(Base):
    """Where a user is in a conversation; saved in the same transaction as the step's data."""

    __tablename__ = "dialog_states"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    flow: Mapped[str | None] = mapped_column(String(32))
    step: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Options of the last reply: lets "2" or the option's words pick it, and
    # lets stale or forged payloads be recognised.
    options: Mapped[list[Any]] = mapped_column(JSON, default=list)
    nonce: Mapped[str] = mapped_column(String(8), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class QuestionLog(Base):
    __tablename__ = "question_log"
    __table_args__ = (
        Index("ix_question_log_day", "local_day", "outcome"),
        Index("ix_question_log_outcome_day", "outcome", "local_day", "topic"),
        Index("ix_question_log_commune_day", "commune_code", "local_day", "outcome", "topic"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    normalised: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str | None] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    # A short random mark carried by the answer's feedback and suggestion options,
    # so what the person does next is tied to this question (not to its text).
    ref: Mapped[str | None] = mapped_column(String(12), index=True)
    # Copied when the question is logged, for the console's counts: the commune the
    # person had then, and the day in Vietnam (UTC+7) it was asked.
    commune_code: Mapped[str | None] = mapped_column(String(8))
    local_day: Mapped[date | None] = mapped_column(Date)
    user: Mapped[User | None] = relationship()


class QuestionFollowup(Base):
    """What a person did after a FAQ reply: picked a suggestion, or rated the answer."""

    __tablename__ = "question_followups"
    __table_args__ = (
        UniqueConstraint("user_id", "question_ref", "kind", name="uq_followup_user_ref_kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    question_ref: Mapped[str] = mapped_column(String(12), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # FollowupKind
    topic: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class QuestionDecision(Base):
    """What staff decided about a question people keep asking (the console's inbox): a
    new way to ask a topic, or out of scope. Commune staff propose; the province approves;
    approved decisions are applied to the knowledge base on every process."""

    __tablename__ = "question_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    normalised: Mapped[str] = mapped_column(String(300), unique=True)
    text: Mapped[str] = mapped_column(Text)  # as one person asked it
    decision: Mapped[str] = mapped_column(String(16))  # variant | out_of_scope
    topic: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12))  # proposed | approved | rejected
    proposed_by: Mapped[str] = mapped_column(String(160))
    commune_code: Mapped[str | None] = mapped_column(String(8))
    proposed_at: Mapped[datetime] = mapped_column(DateTime)
    decided_by: Mapped[str | None] = mapped_column(String(160))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)


class KnowledgeRevision(Base):
    """One console edit of a topic or of the lexicon (subject ":lexicon", no topic's id):
    who, when, the version before and after, and the file version it was made over
    (knowledge/overlay.py says which wins). The latest per subject is live; (subject,
    parent) is unique, so of two staff saving over one version, the second is refused."""

    __tablename__ = "knowledge_revisions"
    __table_args__ = (UniqueConstraint("subject", "parent"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str] = mapped_column(String(64), index=True)
    parent: Mapped[int] = mapped_column(Integer)  # the revision it replaced; 0: the file
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    over: Mapped[str] = mapped_column(String(32))  # fingerprint of the file version under it
    actor: Mapped[str] = mapped_column(String(160))
    at: Mapped[datetime] = mapped_column(DateTime)
    restores: Mapped[int | None] = mapped_column(Integer)  # the revision restored, if any


class Ticket(Base):
    """A citizen's question handed to a person on their commune's team (the province's
    when they have no commune or it has no staff): bot/handoff."""

    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_user_status", "user_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # the number people see
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    commune_code: Mapped[str | None] = mapped_column(String(8), index=True)  # None: province
    status: Mapped[str] = mapped_column(String(12), index=True)  # open | answered | closed
    assigned_to: Mapped[str | None] = mapped_column(String(160))  # "channel:user" of staff
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_activity_at: Mapped[datetime] = mapped_column(DateTime)
    first_answer_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)


class TicketMessage(Base):
    """One message of a ticket's conversation, the citizen's or a staff member's."""

    __tablename__ = "ticket_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"),
                                           index=True)
    staff: Mapped[str | None] = mapped_column(String(160))  # None: the citizen wrote it
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class CannedReply(Base):
    """A ready answer a team reuses in the console (commune_code None: the province's,
    offered to every team)."""

    __tablename__ = "canned_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_code: Mapped[str | None] = mapped_column(String(8), index=True)
    title: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(160))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class OAuthToken(Base):
    """A channel's OAuth tokens (Zalo OA). Its refresh token works once: every refresh
    stores the new one here before the new access token is used (bot/zalo_oa/tokens.py)."""

    __tablename__ = "oauth_tokens"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    access_token: Mapped[str | None] = mapped_column(Text)
    access_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    refresh_token: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    refused: Mapped[str | None] = mapped_column(String(200))  # why a refresh was refused


class TrainingSession(Base):
    """A training session, from knowledge/trainings.yaml or `laocai-bot training add`."""

    __tablename__ = "training_sessions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    title_vi: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    audience: Mapped[str] = mapped_column(String(16), default="all")
    description_vi: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(DateTime)  # UTC
    ends_at: Mapped[datetime] = mapped_column(DateTime)
    deadline: Mapped[datetime | None] = mapped_column(DateTime)
    place: Mapped[str] = mapped_column(String(300))
    link: Mapped[str | None] = mapped_column(String(300))
    commune_code: Mapped[str | None] = mapped_column(String(8))
    capacity: Mapped[int] = mapped_column(Integer)
    seats_taken: Mapped[int] = mapped_column(Integer, default=0)
    extra_fields: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(12), default=SessionStatus.OPEN)
    source: Mapped[str] = mapped_column(String(8), default="cli")  # yaml | cli
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" and self.title_en else self.title_vi


class Registration(Base):
    __tablename__ = "registrations"
    __table_args__ = (
        # One active sign-up per person and session; a cancelled one may be repeated.
        Index("uq_registration_active", "session_id", "user_id", unique=True,
              sqlite_where=text("status != 'cancelled'"),
              postgresql_where=text("status != 'cancelled'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    full_name: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20))
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(12))  # confirmed | waitlisted | cancelled
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)
    attended_at: Mapped[datetime | None] = mapped_column(DateTime)  # marked by staff
    session: Mapped[TrainingSession] = relationship(lazy="joined")


class SessionWatch(Base):
    """'Tell me when a new session opens', per audience."""

    __tablename__ = "session_watches"
    __table_args__ = (UniqueConstraint("user_id", "audience", name="uq_session_watch"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    audience: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class OutboxMessage(Base):
    """One message to one person from one source; delivered by the delivery worker."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("source_kind", "source_id", "user_id", name="uq_outbox_source_user"),
        Index("ix_outbox_due", "status", "not_before"),
        Index("ix_outbox_source", "source_kind", "source_id"),
        # A chat's next message waits for the replies to its previous one (bot/inbox).
        Index("ix_outbox_chat", "channel", "chat_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_kind: Mapped[str] = mapped_column(String(24))
    source_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    not_before: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(12), default=OutboxStatus.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # A worker's claim: rows of a worker that died are claimed again after this time.
    leased_until: Mapped[datetime | None] = mapped_column(DateTime)
    leased_by: Mapped[str | None] = mapped_column(String(40))


class InboxMessage(Base):
    """Every update a person sends, stored before the platform is told it arrived.

    Workers claim the oldest pending update of a chat nobody else is working on;
    the turn's transaction marks it done. (channel, platform_id) is unique, so a
    platform's re-delivery is stored once.
    """

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("channel", "platform_id", name="uq_inbox_platform_id"),
        Index("ix_inbox_chat_order", "channel", "chat_id", "status", "id"),
        Index("ix_inbox_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(128))  # the order key: one chat, in order
    platform_id: Mapped[str | None] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)  # the neutral Incoming, or raw
    status: Mapped[str] = mapped_column(String(12), default=InboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(300))
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(DateTime)
    leased_until: Mapped[datetime | None] = mapped_column(DateTime)
    leased_by: Mapped[str | None] = mapped_column(String(40))


class WorkerHeartbeat(Base):
    """A worker says it is alive every few seconds; `status` lists the recent ones."""

    __tablename__ = "worker_heartbeats"

    worker_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    host: Mapped[str] = mapped_column(String(120))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    seen_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class StaffRole(Base):
    """Province staff reach every commune; commune staff only their own."""

    __tablename__ = "staff_roles"
    __table_args__ = (UniqueConstraint("channel", "channel_user_id", name="uq_staff_role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    channel_user_id: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(12))  # province | commune
    commune_code: Mapped[str | None] = mapped_column(String(8))
    granted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class StaffLoginToken(Base):
    """A one-time sign-in link's token, kept only as its SHA-256: a leaked database
    signs nobody in. One per staff member: a new link cancels the old."""

    __tablename__ = "staff_login_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_roles.id", ondelete="CASCADE"),
                                          index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class StaffSession(Base):
    """A signed-in browser, by the SHA-256 of its cookie; gone with the staff role."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf: Mapped[str] = mapped_column(String(64))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_roles.id", ondelete="CASCADE"),
                                          index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    seen_at: Mapped[datetime] = mapped_column(DateTime)


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(160))  # "cli" or "<channel>:<user id>"
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Broadcast(Base):
    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor: Mapped[str] = mapped_column(String(160))
    sender_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    scope: Mapped[dict[str, Any]] = mapped_column(JSON)  # communes / audience / session
    text: Mapped[str] = mapped_column(Text)
    not_before: Mapped[datetime] = mapped_column(DateTime)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(12), default=BroadcastStatus.QUEUED)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class EventRecord(Base):
    """An event people can be reminded of: from knowledge/events.yaml (source "yaml",
    refreshed at each start) or made in the console (source "console", which YAML no
    longer overwrites, also once a YAML event is edited there)."""

    __tablename__ = "events"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    title_vi: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    description_vi: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(DateTime)  # UTC; all-day: local midnight
    ends_at: Mapped[datetime] = mapped_column(DateTime)
    all_day: Mapped[bool] = mapped_column(Boolean, default=False)
    yearly: Mapped[bool] = mapped_column(Boolean, default=False)
    place: Mapped[str] = mapped_column(String(300), default="")
    commune_code: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12), default="active")  # active | cancelled
    source: Mapped[str] = mapped_column(String(8), default="yaml")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class EventSubscription(Base):
    __tablename__ = "event_subscriptions"
    __table_args__ = (UniqueConstraint("user_id", "event_id", name="uq_event_subscription"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
