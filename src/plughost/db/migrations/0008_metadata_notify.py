"""On PostgreSQL, NOTIFY the key of every plugin whose stored metadata changed.

Server processes keep metadata in memory only while they hear of each change
(``plughost.runtime.metadata_cache``); a trigger hears all of them, whoever writes:
the API, plugin code saving the model, another host. A TRUNCATE notifies an empty key:
every plugin's. SQLite has no NOTIFY; there nothing is kept and nothing is needed.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

CHANNEL = "plughost_metadata"  # plughost.services.state.METADATA_CHANNEL at this migration
TABLE = "plugin_pluginconfig"

CREATE = (
    f"""
CREATE FUNCTION plughost_metadata_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('{CHANNEL}', '');
    ELSE
        PERFORM pg_notify('{CHANNEL}', OLD.key);
        IF TG_OP = 'UPDATE' AND NEW.key IS DISTINCT FROM OLD.key THEN
            PERFORM pg_notify('{CHANNEL}', NEW.key);
        END IF;
    END IF;
    RETURN NULL;
END;
$$""",
    f"""CREATE TRIGGER plughost_metadata_updated AFTER UPDATE OF metadata, key ON {TABLE}
    FOR EACH ROW
    WHEN (OLD.metadata IS DISTINCT FROM NEW.metadata OR OLD.key IS DISTINCT FROM NEW.key)
    EXECUTE FUNCTION plughost_metadata_changed()""",
    f"""CREATE TRIGGER plughost_metadata_deleted AFTER DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION plughost_metadata_changed()""",
    f"""CREATE TRIGGER plughost_metadata_truncated AFTER TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION plughost_metadata_changed()""",
)

DROP = (
    f"DROP TRIGGER IF EXISTS plughost_metadata_truncated ON {TABLE}",
    f"DROP TRIGGER IF EXISTS plughost_metadata_deleted ON {TABLE}",
    f"DROP TRIGGER IF EXISTS plughost_metadata_updated ON {TABLE}",
    "DROP FUNCTION IF EXISTS plughost_metadata_changed()",
)


def _on_postgresql(statements: tuple[str, ...]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:  # one each: bound statements take one command
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("plugin", "0007_runtime_failures"),
    ]

    operations = [
        migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP), elidable=False),
    ]
