"""Migrate once per environment: the test database starts from a kept template (issue 28).

The runner sets, for the cell's `default` database only:
- PONYCI_DB_TEMPLATE: "capture" (no template kept for this key yet) or
  "restore" (a template is ready: in the PostgreSQL server as the database
  `ponyci_template`; in the MariaDB/MySQL server as the test database itself,
  loaded from the kept dump; for SQLite as PONYCI_DB_TEMPLATE_DIR/template.sqlite3);
- PONYCI_DB_TEMPLATE_ENGINE: the vendor the template is for ("postgresql",
  "mysql", "sqlite"); another vendor in the project's settings is left alone;
- PONYCI_DB_TEMPLATE_DIR: read-only directory; the runner writes `restored`
  (or `unrestored`) into it once a server's template is loaded (it loads while
  this container starts: the test database waits for it), and `ack`
  once it has kept a capture (or given up);
- PONYCI_DB_TEMPLATE_OUT: writable directory for the SQLite capture.

Restore: the test database is created from the template, then Django's own
`create_test_db(keepdb=True)` runs (Django's --keepdb semantics). Its
`migrate` is skipped when every migration file on disk is recorded as applied
(_migrate_only_if_needed: importing hundreds of migrations to find nothing to
do costs seconds); otherwise it runs and applies what the template lacks.
If the clone fails, the test database is made as usual.
Capture: right after Django created and migrated the test database, before
any test ran, the database is copied (PostgreSQL: CREATE DATABASE ... TEMPLATE;
SQLite: the backup API; MariaDB/MySQL: not here, the runner dumps the test
database the event names), a `db_template` event asks the runner to keep it, and
the tests wait (bounded) for the runner's `ack`, so no test code runs while the
copy is taken. Skipped (with a `db_template` "skipped" event saying why) when
tables come from models rather than migrations (apps without migrations,
TEST MIGRATE False): the runner's key hashes migrations only.
Stdlib only; never breaks the project's tests (any problem: a stderr line, then
Django's usual path).
"""

import os
import sqlite3
import sys
import time

from ponyci_events import emit

TEMPLATE_DB = "ponyci_template"
SQLITE_FILE = "template.sqlite3"
_state = {"done": False}
# Connections kept open for the life of the process: an in-memory SQLite database lives while one is open.
_keep = []


def install():
    """Patch BaseDatabaseCreation.create_test_db when a template mode is set (idempotent)."""
    mode = os.environ.get("PONYCI_DB_TEMPLATE")
    if mode not in ("capture", "restore"):
        return
    from django.db.backends.base import creation

    base = creation.BaseDatabaseCreation
    original = base.create_test_db
    if getattr(original, "_ponyci_patched", False):
        return

    def create_test_db(self, *args, **kwargs):
        if _state["done"] or self.connection.alias != "default" or self.connection.vendor != os.environ.get("PONYCI_DB_TEMPLATE_ENGINE"):
            return original(self, *args, **kwargs)
        _state["done"] = True
        started = time.perf_counter()
        if mode == "restore" and _try(_restore, self):
            if len(args) >= 4:
                args = args[:3] + (True,) + args[4:]
            else:
                kwargs["keepdb"] = True
            with _migrate_only_if_needed(self.connection) as guard:
                name = original(self, *args, **kwargs)
            emit({"event": "db_template", "state": "restored", "migrate": "skipped" if guard.skipped else "ran"})
            _say("test database set up in %.3f s (from the template)" % (time.perf_counter() - started))
            return name
        name = original(self, *args, **kwargs)
        _say("test database set up in %.3f s (migrated)" % (time.perf_counter() - started))
        if mode == "capture":
            started = time.perf_counter()
            if _try(_capture, self):
                _say("test database copied for the template in %.3f s" % (time.perf_counter() - started))
        return name

    create_test_db._ponyci_patched = True
    create_test_db.__doc__ = original.__doc__
    base.create_test_db = create_test_db


class _migrate_only_if_needed:
    """While Django creates the test database from a template: its `migrate` is skipped when it has nothing to do.

    With keepdb, `migrate` finds every migration applied, but only after
    importing every migration module and building the graph (seconds for
    hundreds of migrations). The template IS the migrated state (its
    post_migrate rows, content types and permissions, included), kept under a
    key of the environment (installed packages' migrations) and the
    checkout's migrations; on top of the key this checks, without importing
    a migration, that every migration file on disk of every installed app is
    recorded as applied and that no app gets tables from models (run_syncdb).
    Anything else, or any doubt: Django's `migrate` runs as usual.
    Everything after it (serialize_db_to_string, createcachetable) runs as usual.
    """

    def __init__(self, connection):
        self.connection = connection
        self.saved = None
        self.skipped = False

    def __enter__(self):
        from django.core import management

        self.saved = management.call_command
        original, connection, guard = self.saved, self.connection, self

        def call_command(command_name, *args, **options):
            if command_name == "migrate" and options.get("database", "default") == connection.alias:
                pending = _try(_pending_migrations, connection, "migrating as usual", None)
                if pending == 0:
                    _say("migrate skipped: every migration on disk is applied in the template")
                    guard.skipped = True
                    return None
            return original(command_name, *args, **options)

        management.call_command = call_command
        return self

    def __exit__(self, *exc):
        from django.core import management

        management.call_command = self.saved
        return False


def _pending_migrations(connection):
    """How many migration files on disk the test database has not applied (None: cannot tell cheaply)."""
    import importlib
    import pkgutil

    from django.apps import apps
    from django.db.migrations.loader import MigrationLoader

    on_disk = set()
    for config in apps.get_app_configs():
        module_name, _explicit = MigrationLoader.migrations_module(config.label)
        module = None
        if module_name is not None:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name != module_name and not module_name.startswith((exc.name or "") + "."):
                    return None
        if module is None or not hasattr(module, "__path__"):
            if any(model._meta.managed for model in config.get_models()):
                return None  # tables from models: migrate's run_syncdb
            continue
        for info in pkgutil.iter_modules(module.__path__):
            if not info.ispkg and info.name[0] not in "_~":
                on_disk.add((config.label, info.name))
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations")
        applied = set((str(app), str(name)) for app, name in cursor.fetchall())
    return len(on_disk - applied)


def _say(line):
    """A line on stderr for the log (the runner and the benchmarks read these timings)."""
    sys.stderr.write("ponyci: %s\n" % line)
    sys.stderr.flush()


def _try(action, argument, fallback_says="database template not used", fallback=False):
    """action(argument), or `fallback` with a line naming what happens instead: a template never fails a run."""
    try:
        return action(argument)
    except Exception as exc:
        sys.stderr.write("ponyci: %s: %r\n" % (fallback_says, exc))
        return fallback


def _restore(creation):
    """Create the test database from the template; True when it was."""
    name = creation._get_test_db_name()
    if creation.connection.vendor in ("mysql", "postgresql") and not _wait_for_restore():
        return False
    if creation.connection.vendor == "mysql":
        # The runner loaded the dump (with its CREATE DATABASE) before the tests started: keepdb uses it when
        # it is there under this name (another TEST NAME since the capture: made as usual).
        with creation._nodb_cursor() as cursor:
            cursor.execute("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", [name])
            return cursor.fetchone() is not None
    if creation.connection.vendor == "postgresql":
        quote = creation.connection.ops.quote_name
        with creation._nodb_cursor() as cursor:
            # The restored template is this cell's alone: renamed, not copied (a copy of a big schema costs
            # seconds); a copy when the rename is refused (the project's user may not own it).
            try:
                cursor.execute("ALTER DATABASE %s RENAME TO %s" % (quote(TEMPLATE_DB), quote(name)))
            except Exception:
                cursor.execute("CREATE DATABASE %s TEMPLATE %s%s" % (quote(name), quote(TEMPLATE_DB), _file_copy(creation.connection)))
    else:
        source = os.path.join(os.environ.get("PONYCI_DB_TEMPLATE_DIR", ""), SQLITE_FILE)
        if not os.path.isfile(source):
            return False
        if _sqlite_in_memory(creation, name):
            target = sqlite3.connect(name, uri=True)
            _keep.append(target)
        else:
            if os.path.exists(name):
                os.remove(name)
            target = sqlite3.connect(name)
        template = sqlite3.connect("file:%s?mode=ro" % source, uri=True)
        try:
            template.backup(target)
        finally:
            template.close()
            if target not in _keep:
                target.close()
    return True


def _capture(creation):
    """Copy the freshly migrated test database, have the runner keep it, wait for its ack."""
    connection = creation.connection
    reason = _unmigrated_reason(connection)
    if reason:
        emit({"event": "db_template", "state": "skipped", "reason": reason})
        return False
    if connection.vendor == "postgresql":
        name = connection.settings_dict["NAME"]
        quote = connection.ops.quote_name
        strategy = _file_copy(connection)  # asked before the close: it may connect
        connection.close()  # CREATE DATABASE ... TEMPLATE needs the source without sessions
        with creation._nodb_cursor() as cursor:
            cursor.execute("DROP DATABASE IF EXISTS %s" % quote(TEMPLATE_DB))
            cursor.execute("CREATE DATABASE %s TEMPLATE %s%s" % (quote(TEMPLATE_DB), quote(name), strategy))
    elif connection.vendor == "sqlite":
        out = os.environ.get("PONYCI_DB_TEMPLATE_OUT")
        if not out:
            return False
        connection.ensure_connection()
        partial = os.path.join(out, SQLITE_FILE + ".partial")
        target = sqlite3.connect(partial)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
        os.replace(partial, os.path.join(out, SQLITE_FILE))
    ready = {"event": "db_template", "state": "ready", "engine": connection.vendor}
    if connection.vendor == "mysql":
        # The runner dumps this database in the service container (one transaction) while this process waits.
        ready["database"] = connection.settings_dict["NAME"]
    emit(ready)
    _wait_for_ack()
    if connection.vendor == "postgresql":
        with creation._nodb_cursor() as cursor:
            cursor.execute("DROP DATABASE IF EXISTS %s" % connection.ops.quote_name(TEMPLATE_DB))
    return True


def _file_copy(connection):
    """PostgreSQL 15+: copy the files (its default, WAL_LOG, writes the whole copy into the WAL: slower here)."""
    version = getattr(connection, "pg_version", None)
    return " STRATEGY = FILE_COPY" if isinstance(version, int) and version >= 150000 else ""


def _wait_for_restore():
    """True once the runner loaded the template into the server (it does while this container starts)."""
    return _wait_for_mark(("restored", "unrestored"), "did not load the database template in time: migrating as usual") == "restored"


def _wait_for_ack():
    _wait_for_mark(("ack",), "did not keep the database template in time")


def _wait_for_mark(names, late):
    """The first of `names` the runner writes into PONYCI_DB_TEMPLATE_DIR, or None after PONYCI_DB_TEMPLATE_WAIT seconds (saying `late`)."""
    marks = os.environ.get("PONYCI_DB_TEMPLATE_DIR", "")
    try:
        limit = float(os.environ.get("PONYCI_DB_TEMPLATE_WAIT", "120"))
    except ValueError:
        limit = 120.0
    deadline = time.monotonic() + limit
    while True:
        for name in names:
            if os.path.exists(os.path.join(marks, name)):
                return name
        if time.monotonic() > deadline:
            sys.stderr.write("ponyci: the runner %s\n" % late)
            return None
        time.sleep(0.02)


def _unmigrated_reason(connection):
    """Why the migrated database is not a function of the migrations alone, or None."""
    if connection.settings_dict.get("TEST", {}).get("MIGRATE", True) is False:
        return "TEST MIGRATE is False: tables come from models"
    from django.apps import apps
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    labels = sorted(
        config.label
        for config in apps.get_app_configs()
        if config.label in loader.unmigrated_apps and any(model._meta.managed for model in config.get_models())
    )
    if labels:
        return "apps without migrations (tables from models): %s" % ", ".join(labels[:10])
    return None


def _sqlite_in_memory(creation, name):
    check = getattr(creation, "is_in_memory_db", None)
    if check is not None:
        return check(name)
    return name == ":memory:" or "mode=memory" in str(name)
