"""Alembic environment: always handed a live connection by bot.storage.migrate."""

from alembic import context

from bot.storage.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - guarded by bot.storage.migrate
    raise RuntimeError("run migrations with `laocai-bot db upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
