"""Alembic environment of the KodeLab store.

There is no ``alembic.ini``: :meth:`kodelab_jupyter.store.Store.alembic_config` builds the
config in code and passes an open connection in ``config.attributes["connection"]``.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection, create_engine

from kodelab_jupyter.store.models import Base

config = context.config


def _configure(**kwargs: Any) -> None:
    context.configure(target_metadata=Base.metadata, render_as_batch=True, **kwargs)


def run_migrations_offline() -> None:
    """Emit the migration SQL for ``sqlalchemy.url`` without connecting."""
    _configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online(connection: Connection) -> None:
    """Run the migrations on an open connection."""
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
elif (shared := config.attributes.get("connection")) is not None:
    run_migrations_online(shared)
else:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is not set"
    with create_engine(url).begin() as own:
        run_migrations_online(own)
