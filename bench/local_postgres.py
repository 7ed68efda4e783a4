"""The machine's local PostgreSQL for the benches: its URL, and an empty schema per run."""

from __future__ import annotations

PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


async def reset_postgres() -> bool:
    """Drop and recreate the public schema; False when the server is not reachable."""
    import asyncpg

    try:
        conn = await asyncpg.connect(PG_URL.replace("+asyncpg", ""), timeout=3)
    except Exception:
        return False
    await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    await conn.close()
    return True
