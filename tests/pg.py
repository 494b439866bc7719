"""Creating and dropping throwaway databases on the local PostgreSQL server
(127.0.0.1:5432, trust authentication, user postgres or root)."""

from __future__ import annotations

import uuid

import asyncpg

HOST = "127.0.0.1"
PORT = 5432


async def _admin_connection() -> asyncpg.Connection:
    last_error: Exception | None = None
    for user in ("postgres", "root"):
        try:
            return await asyncpg.connect(host=HOST, port=PORT, user=user, database="test")
        except (asyncpg.PostgresError, OSError) as exc:
            last_error = exc
    raise RuntimeError(f"cannot reach PostgreSQL on {HOST}:{PORT}: {last_error}")


async def create_database(prefix: str) -> str:
    """Create a fresh database and return its SQLAlchemy URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    connection = await _admin_connection()
    try:
        user = await connection.fetchval("SELECT current_user")
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return f"postgresql+asyncpg://{user}@{HOST}:{PORT}/{name}"


async def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    connection = await _admin_connection()
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()
