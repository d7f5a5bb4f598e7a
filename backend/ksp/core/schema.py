"""Creating and upgrading the schema (Alembic), and the append-only guards.

Every model module is imported here so that `Base.metadata` is complete for Alembic and
for tests."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text

from ksp.core.db import Base

# Rows of these tables are facts: never updated, never deleted.
APPEND_ONLY_TABLES = ("log_entries", "journal_entries", "journal_lines", "merkle_nodes",
                      "audit_events", "adart_versions")


def import_models() -> None:
    import ksp.anchoring.models
    import ksp.audit.models
    import ksp.auth.models
    import ksp.chain.outbox
    import ksp.coop.models
    import ksp.core.idempotency
    import ksp.corrections.models
    import ksp.ledger.models
    import ksp.loans.models
    import ksp.members.models
    import ksp.notifications.models
    import ksp.payroll.models  # noqa: F401


def append_only_ddl(dialect: str) -> list[str]:
    """Triggers that refuse UPDATE and DELETE on the append-only tables."""
    statements: list[str] = []
    if dialect == "postgresql":
        statements.append(
            "CREATE OR REPLACE FUNCTION ksp_refuse_change() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'append-only table %: % refused', TG_TABLE_NAME, TG_OP; "
            "END; $$ LANGUAGE plpgsql"
        )
        for table in APPEND_ONLY_TABLES:
            statements.append(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            statements.append(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION ksp_refuse_change()"
            )
    elif dialect == "sqlite":
        for table in APPEND_ONLY_TABLES:
            for op in ("UPDATE", "DELETE"):
                statements.append(
                    f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON "
                    f"{table} BEGIN SELECT RAISE(ABORT, 'append-only table {table}: {op} "
                    "refused'); END"
                )
    return statements


def balanced_entry_ddl(dialect: str) -> list[str]:
    """On PostgreSQL, deferred constraint triggers that refuse, at COMMIT, a journal entry
    whose debits differ from its credits or that has fewer than two lines, whatever code
    wrote it. Deferred, because an entry's lines arrive one INSERT at a time. SQLite has no
    deferred triggers: there the ledger's own check and the trial-balance tests stand in."""
    if dialect != "postgresql":
        return []
    statements = [
        "CREATE OR REPLACE FUNCTION ksp_check_entry_balanced() RETURNS trigger AS $$ "
        "DECLARE checked bigint; debits numeric; credits numeric; lines bigint; BEGIN "
        "IF TG_TABLE_NAME = 'journal_entries' THEN checked := NEW.id; "
        "ELSE checked := NEW.entry_id; END IF; "
        "SELECT coalesce(sum(amount) FILTER (WHERE side = 'D'), 0), "
        "coalesce(sum(amount) FILTER (WHERE side = 'C'), 0), count(*) "
        "INTO debits, credits, lines FROM journal_lines WHERE entry_id = checked; "
        "IF debits <> credits OR lines < 2 THEN RAISE EXCEPTION "
        "'journal entry % refused: debits %, credits %, % lines', "
        "checked, debits, credits, lines USING ERRCODE = 'check_violation'; END IF; "
        "RETURN NULL; END; $$ LANGUAGE plpgsql"
    ]
    for table in ("journal_entries", "journal_lines"):
        statements.append(f"DROP TRIGGER IF EXISTS {table}_balanced ON {table}")
        statements.append(
            f"CREATE CONSTRAINT TRIGGER {table}_balanced AFTER INSERT ON {table} "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            "EXECUTE FUNCTION ksp_check_entry_balanced()"
        )
    return statements


def migrate(engine: Engine) -> None:
    """Brings the database to the latest schema (Alembic `upgrade head`)."""
    from alembic import command
    from alembic.config import Config

    import_models()
    migrations = Path(__file__).resolve().parent.parent / "migrations"
    config = Config()
    config.set_main_option("script_location", str(migrations))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def install_guards(connection_engine: Engine) -> None:
    with connection_engine.begin() as connection:
        dialect = connection.dialect.name
        for statement in append_only_ddl(dialect) + balanced_entry_ddl(dialect):
            connection.execute(text(statement))


def create_all_for_tests(engine: Engine) -> None:
    import_models()
    Base.metadata.create_all(engine)
    install_guards(engine)
