"""pytest plugin for scripts/odoo_suites.sh (loaded with ``-p odoo_suites_plugin``).

``--commit-hooks``: after each test method of an Odoo TransactionCase (and
SingleTransactionCase, HttpCase), run what a commit would run first: the
transaction's precommit hooks (``env.cr.flush()``). Odoo's tests never
commit, so whatever an addon does at commit time would otherwise never run in
them. An exception there fails the test with ``CommitHookError``, chained to
the original exception (whose traceback is in the report).

The hooks run inside the test method (the method pytest hands to unittest is
wrapped), before tearDown and the cleanups that roll the test's savepoint back
and clear the hooks: a fixture's teardown would come too late.

``--test-timeout SECONDS`` (default 600, 0 for none): a test still running
after that long is interrupted (SIGALRM) and fails with ``TestTimeout``,
so that one hanging test does not stop a whole suite.
"""

import functools
import signal
import sys
import traceback

import pytest
from _pytest.junitxml import xml_key


class CommitHookError(Exception):
    """The transaction's precommit hooks raised after the test method."""


class TestTimeout(Exception):
    """The test ran longer than --test-timeout."""

    __test__ = False  # not a test class, whatever its name


def pytest_addoption(parser):
    group = parser.getgroup("odoo_suites", "scripts/odoo_suites.sh")
    group.addoption(
        "--commit-hooks",
        action="store_true",
        help="after each Odoo TransactionCase test method, run the transaction's "
        "precommit hooks (env.cr.flush()); an exception there fails the test",
    )
    group.addoption(
        "--test-timeout",
        type=int,
        default=600,
        help="interrupt a test after this many seconds (0: never)",
    )


def _transaction_test(instance):
    if instance is None:
        return False
    from odoo.tests.common import SingleTransactionCase, TransactionCase  # noqa: PLC0415 (after Odoo's set-up)

    return isinstance(instance, (TransactionCase, SingleTransactionCase))


def _callback_name(func):
    while isinstance(func, functools.partial):
        func = func.func
    module = getattr(func, "__module__", None) or ""
    name = getattr(func, "__qualname__", None) or type(func).__name__
    if module.startswith("odoo.addons."):
        module = module[len("odoo.addons.") :].split(".", 1)[0]
    return f"{module}:{name}" if module else name


def _run_precommit(item, instance):
    cr = instance.env.cr
    # Which hooks are waiting (recorded in the junit report, for the summary).
    pending = [_callback_name(func) for func in cr.precommit._funcs]
    item.user_properties.append(("precommit", " ".join(pending)))
    try:
        cr.flush()
    except Exception as exc:
        # The whole traceback, in the test's captured stderr (pytest's own
        # report cuts the chained exception's frames short).
        print("odoo_suites: the precommit hooks raised after the test:", file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
        first = str(exc).strip().splitlines()
        raise CommitHookError(
            "the transaction's precommit hooks (env.cr.flush()) raised after the test: "
            f"{type(exc).__module__}.{type(exc).__name__}: {first[0] if first else ''}"
        ) from exc


@pytest.fixture(autouse=True)
def _odoo_commit_hooks(request):
    """Wrap the test method so that the precommit hooks run right after it."""
    if not request.config.getoption("--commit-hooks") or not _transaction_test(request.instance):
        yield
        return
    instance = request.instance
    item = request.node
    method = item.obj  # the bound method pytest sets on the instance before running it

    @functools.wraps(method)
    def test_then_precommit(*args, **kwargs):
        result = method(*args, **kwargs)
        _run_precommit(item, instance)
        return result

    item.obj = test_then_precommit
    try:
        yield
    finally:
        item.obj = method


def _on_alarm(signum, frame):
    raise TestTimeout("the test ran longer than --test-timeout")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    seconds = item.config.getoption("--test-timeout")
    if not seconds:
        return (yield)
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(seconds)
    try:
        return (yield)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def pytest_collection_finish(session):
    """Record how many tests of each Odoo module were collected (a run that is
    interrupted leaves the rest out of its report)."""
    xml = session.config.stash.get(xml_key, None)
    if xml is None:
        return
    counts = {}
    for item in session.items:
        module = item.nodeid.split("/", 1)[0]
        counts[module] = counts.get(module, 0) + 1
    for module, count in sorted(counts.items()):
        xml.add_global_property(f"collected:{module}", count)


def pytest_report_header(config):
    hooks = "on" if config.getoption("--commit-hooks") else "off"
    return f"odoo_suites: commit-time hooks after each test {hooks}"
