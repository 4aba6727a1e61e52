"""Pony CI hooks, loaded because the harness puts this directory first on PYTHONPATH.

Does nothing unless PONYCI_EVENTS is set. Then it installs the crash hook and
the Django test-runner hook (see ponyci_crash_hook.py, ponyci_django_hook.py),
and finally runs the sitecustomize this file shadows (Debian ships one), so
the interpreter behaves as it would without the harness.
"""

import os
import sys


def _ponyci_install_hooks():
    if not os.environ.get("PONYCI_EVENTS"):
        return
    try:
        import ponyci_crash_hook
        import ponyci_django_hook
        import ponyci_unittest_hook

        ponyci_crash_hook.install()
        ponyci_django_hook.install()
        ponyci_unittest_hook.install()
    except Exception as exc:  # the project's own command must still run
        sys.stderr.write("ponyci: harness hooks not installed: %r\n" % (exc,))


def _ponyci_mysqldb_from_pymysql():
    """On a MariaDB cell without mysqlclient, let PyMySQL answer `import MySQLdb`.

    mysqlclient needs a compiler and MariaDB's headers and ships no Linux
    wheels, so Pony CI installs PyMySQL instead; Django's MySQL backend
    imports MySQLdb, which pymysql.install_as_MySQLdb() provides. A project
    that installs mysqlclient itself keeps it.
    """
    if os.environ.get("PONYCI_DATABASE") != "mariadb":
        return
    try:
        import importlib.util

        if importlib.util.find_spec("MySQLdb") is not None or importlib.util.find_spec("pymysql") is None:
            return
        import pymysql

        pymysql.install_as_MySQLdb()
    except Exception as exc:
        sys.stderr.write("ponyci: PyMySQL not installed as MySQLdb: %r\n" % (exc,))


def _ponyci_run_shadowed_sitecustomize():
    import importlib.machinery
    import importlib.util

    here = os.path.dirname(os.path.realpath(__file__))
    rest = [p for p in sys.path if os.path.realpath(p or os.curdir) != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["_ponyci_shadowed_sitecustomize"] = module
    spec.loader.exec_module(module)


_ponyci_install_hooks()
_ponyci_mysqldb_from_pymysql()
_ponyci_run_shadowed_sitecustomize()
