"""Run the test session as if today were another day, to find what depends on the date it runs.

    pytest --today=2027-03-28              # that day, 10:00 Paris time
    pytest --today=2026-12-06T00:30        # with a time of day (here: still Saturday in UTC)
    PORTAL_TEST_TODAY=2028-02-29 pytest    # the same, from the environment

The whole session travels there with time_machine and the clock keeps ticking (tick=True), so timeouts, tokens and
"five minutes later" behave as usual. A test that travels itself (`time_machine.travel`, the `time_machine` marker
or fixture) wins while it does: travels nest. A subprocess the tests start and that calls `follow()` (the Celery
worker of `tests.worker_support`) keeps the same clock.

The tests that depend on the calendar (weekdays, weekends, months, deadlines, ages) carry the marker `dates`: those
of the modules in DATE_SENSITIVE below, and any test marked `@pytest.mark.dates`. `.ci/run` runs `pytest -m dates
--today=…` under several days.

A date computed when a conftest is imported is computed on the real day (conftests are imported before the session
travels, and a run may cross midnight): compute dates in fixtures and functions.
"""

import datetime
import os
import time
import zoneinfo

import pytest
import time_machine

VARIABLE = "PORTAL_TEST_TODAY"
# The offset (in seconds) between the travelled clock and the real one, for subprocesses that `follow()`.
OFFSET_VARIABLE = "PORTAL_TEST_CLOCK_OFFSET"
PARIS = zoneinfo.ZoneInfo("Europe/Paris")  # the portal's TIME_ZONE: "today" is a day in France
DEFAULT_TIME = datetime.time(10, 0)

# Where every test depends on the calendar: slots and opening days, ages, deadlines counted in days and months,
# validities, expiries, sessions and drafts that time out, demo data dated back from today.
DATE_SENSITIVE = (
    "tests/identity/",
    "tests/licences/",
    "tests/vehicles/",
    "tests/titles/test_backoffice.py",
    "tests/titles/test_demo_queue.py",
    "tests/titles/test_drafts.py",
    "tests/titles/test_mediation.py",
    "tests/titles/test_payments.py",
    "tests/titles/test_permissions.py",
    "tests/titles/test_procedures.py",
    "tests/titles/test_stats.py",
    "tests/titles/test_workflow.py",
    "tests/journal/",
    "tests/accounts/test_throttling.py",
    "tests/accounts/test_local_accounts.py",
    "tests/accounts/test_second_factor.py",
    "tests/portal/test_sessions_and_navigation.py",
)

_MOMENT = pytest.StashKey[datetime.datetime]()
_travel = None


def parse(value):
    """Return the aware datetime (Paris time) meant by `2027-03-28` (at 10:00) or `2027-03-28T23:30`."""
    try:
        if "T" in value or " " in value:
            moment = datetime.datetime.fromisoformat(value)
        else:
            moment = datetime.datetime.combine(datetime.date.fromisoformat(value), DEFAULT_TIME)
    except ValueError:
        raise pytest.UsageError(f"--today / {VARIABLE}: {value!r} is not a date (2027-03-28) "
                                f"nor a date and time (2027-03-28T23:30)") from None
    return moment.astimezone(PARIS) if moment.tzinfo else moment.replace(tzinfo=PARIS)


def pytest_addoption(parser):
    parser.addoption("--today", default=os.environ.get(VARIABLE) or None, metavar="DATE[THH:MM]",
                     help=f"run as if today were DATE (Paris time, 10:00 unless given; env {VARIABLE})")


def pytest_configure(config):
    global _travel
    value = config.getoption("today")
    if not value:
        return
    moment = parse(value)
    config.stash[_MOMENT] = moment
    os.environ[OFFSET_VARIABLE] = repr(moment.timestamp() - time.time())
    _travel = time_machine.travel(moment, tick=True)
    _travel.start()


def pytest_unconfigure(config):
    global _travel
    if _travel is not None:
        _travel.stop()
        _travel = None
        os.environ.pop(OFFSET_VARIABLE, None)


def _describe(config):
    moment = config.stash.get(_MOMENT, None)
    if moment is None:
        return None
    return f"as if today were {moment:%A %d %B %Y}, from {moment:%H:%M} Paris time ({moment.tzname()}), ticking"


def pytest_report_header(config):
    description = _describe(config)
    return f"today: {description}" if description else None


def pytest_terminal_summary(terminalreporter, config):
    description = _describe(config)
    if description:
        terminalreporter.write_line(f"This session ran {description}.", bold=True)


def pytest_collection_modifyitems(config, items):
    root = config.rootpath
    for item in items:
        if item.path.is_relative_to(root) and item.path.relative_to(root).as_posix().startswith(DATE_SENSITIVE):
            item.add_marker(pytest.mark.dates)


def follow():
    """In a subprocess of a travelled session: travel to the same clock, if the session travelled."""
    offset = os.environ.get(OFFSET_VARIABLE)
    if offset:
        time_machine.travel(time.time() + float(offset), tick=True).start()
