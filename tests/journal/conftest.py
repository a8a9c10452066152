from contextlib import contextmanager

from journal.models import Entry
from tests.licences.conftest import certs, issue_code  # noqa: F401
from tests.titles.conftest import agent, cert, procedure, submitted  # noqa: F401


@contextmanager
def journaled():
    """Yield a list filled, on leaving the block, with the journal entries written inside it, oldest first."""
    last = Entry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    written = []
    yield written
    written.extend(
        Entry.objects.filter(pk__gt=last).select_related("actor", "acting_for", "organisation").order_by("pk")
    )
