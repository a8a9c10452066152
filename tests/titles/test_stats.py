"""The public dashboard of delays and the expected decision date read the same figures."""

import datetime

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from licences.enums import LICENCE
from tests.conftest import verified
from tests.factories import OrganisationFactory, UserFactory
from tests.titles.conftest import complete_draft
from titles import services, stats
from titles.models import Application, RoutingRule
from titles.stats import Delays, dashboard, median_days_to_decision

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 31, 10, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def marseille(db):
    other = OrganisationFactory(cert=True, name="CERT de Marseille")
    RoutingRule.objects.create(title=LICENCE, departement="13", cert=other)
    return other


def filed(procedure, *, postal_code="83000"):
    applicant = UserFactory(postal_code=postal_code)
    return services.apply_transition(complete_draft(procedure, applicant), "submit", actor=applicant).application


def waiting(procedure, agent, *, days_ago, postal_code="83000", taken=False):
    application = filed(procedure, postal_code=postal_code)
    if taken:
        services.apply_transition(application, "take", actor=agent)
    # Fixtures only: the submission date under test.
    Application.objects.filter(pk=application.pk).update(submitted_at=NOW - days_ago * DAY)
    return application


def decided(procedure, agent, *, delay_days, decided_days_ago=1, postal_code="83000", decision="accept"):
    application = filed(procedure, postal_code=postal_code)
    services.apply_transition(application, "take", actor=agent)
    services.apply_transition(application, decision, actor=agent, reason="Motif." if decision == "reject" else "")
    decided_at = NOW - decided_days_ago * DAY
    # Fixtures only: the known times under test.
    Application.objects.filter(pk=application.pk).update(submitted_at=decided_at - delay_days * DAY,
                                                         decided_at=decided_at)
    return application


@pytest.fixture
def known_times(frozen, procedure, cert, agent, marseille):
    """Bordeaux decided 5 files in the window (1, 2, 3, 4 and 10 days) and has 2 waiting (the oldest for 20 days);
    Marseille decided 2 (6 and 8 days) and has 1 waiting for 3 days. Files outside the window or not waiting do
    not count."""
    marseille_agent = verified(UserFactory())
    marseille.memberships.create(user=marseille_agent, role="agent")
    for delay in (1, 2, 3, 4):
        decided(procedure, agent, delay_days=delay)
    decided(procedure, agent, delay_days=10, decision="reject", decided_days_ago=29)
    decided(procedure, agent, delay_days=50, decided_days_ago=40)  # decided before the window
    waiting(procedure, agent, days_ago=20, taken=True)
    waiting(procedure, agent, days_ago=5)
    withdrawn = filed(procedure)
    services.apply_transition(withdrawn, "withdraw", actor=withdrawn.applicant, reason="Retrait")
    complete_draft(procedure, UserFactory())  # a draft is not waiting for anyone
    for delay in (6, 8):
        decided(procedure, marseille_agent, delay_days=delay, postal_code="13001")
    waiting(procedure, marseille_agent, days_ago=3, postal_code="13001")


def test_percentiles_interpolate_like_postgresql_percentile_cont():
    assert Delays.of([10, 1, 2, 3, 4]) == Delays(count=5, median=3, p90=pytest.approx(7.6))
    assert Delays.of([1, 2, 3, 4, 5, 10]) == Delays(count=6, median=3.5, p90=pytest.approx(7.5))
    assert Delays.of([5, 1, 4, 2]) == Delays(count=4)  # too few to say
    assert Delays.of([5, 1, 4, 2, 3]) == Delays(count=5, median=3, p90=pytest.approx(4.6))


def test_figures_on_known_times(known_times, procedure, cert, marseille):
    figures = dashboard()
    assert figures.now == NOW
    (ours,) = [p for p in figures.procedures if p.code == procedure.code]
    bordeaux, marseille_line = ours.by_cert
    assert (bordeaux.cert_name, marseille_line.cert_name) == ("CERT de Bordeaux", "CERT de Marseille")

    assert bordeaux.waiting == 2 and bordeaux.oldest_age_days == 20
    assert bordeaux.decided.count == 5
    assert bordeaux.decided.median == pytest.approx(3)
    assert bordeaux.decided.p90 == pytest.approx(7.6)

    assert marseille_line.waiting == 1 and marseille_line.oldest_age_days == 3
    assert marseille_line.decided == Delays(count=2)  # fewer than MIN_SAMPLE: no figure

    # The whole procedure: delays 1, 2, 3, 4, 6, 8, 10.
    assert ours.total.waiting == 3 and ours.total.oldest_age_days == 20
    assert ours.total.decided.median == pytest.approx(4)
    assert ours.total.decided.p90 == pytest.approx(8.8)
    assert [line.cert_name for line in ours.rows] == ["CERT de Bordeaux", "CERT de Marseille", "Ensemble des centres"]

    by_cert = {line.cert_name: line for line in figures.certs}
    assert by_cert["CERT de Bordeaux"].decided.median == pytest.approx(3)
    assert by_cert["CERT de Marseille"].waiting == 1


def test_the_expected_decision_date_reads_the_same_figures(known_times, procedure, cert, marseille):
    (ours,) = [p for p in dashboard().procedures if p.code == procedure.code]
    assert median_days_to_decision(procedure.code, cert) == pytest.approx(ours.by_cert[0].decided.median)
    assert median_days_to_decision(procedure.code, marseille) is None
    assert median_days_to_decision(procedure.code) == pytest.approx(ours.total.decided.median)

    # A file filed now at Bordeaux is promised a decision in the median delay (3 days)...
    application = filed(procedure)
    assert application.expected_decision_at == datetime.date(2026, 4, 3)
    # ...and at Marseille, with too few decisions to say, in the procedure's default delay.
    application = filed(procedure, postal_code="13001")
    assert application.expected_decision_at == datetime.date(2026, 3, 31) + procedure.expected_days * DAY


def test_public_page_shows_the_figures_without_sign_in(client, known_times, procedure):
    response = client.get(reverse("statistics"))
    assert response.status_code == 200
    page = response.content.decode()
    for expected in ("Démarche d&#x27;essai", "CERT de Bordeaux", "CERT de Marseille", "3,0 jours", "7,6 jours",
                     "4,0 jours", "8,8 jours", "20 jours", "Ensemble des centres", "31 mars 2026"):
        assert expected in page, expected


def test_the_page_is_cached(client, known_times, procedure, django_assert_max_num_queries):
    client.get(reverse("statistics"))
    filed(procedure)
    with django_assert_max_num_queries(0):
        page = client.get(reverse("statistics")).content.decode()
    assert "<td>2</td>" in page  # still the figures of the first hit
    cache.delete(stats.CACHE_KEY)
    assert "<td>3</td>" in client.get(reverse("statistics")).content.decode()


def test_statistics_query_count_is_constant(client, frozen, procedure, cert, agent, django_assert_num_queries,
                                            django_assert_max_num_queries):
    def make(count):
        for index in range(count):
            if index % 2:
                decided(procedure, agent, delay_days=index)
            else:
                waiting(procedure, agent, days_ago=index)

    make(2)
    cache.clear()
    with django_assert_max_num_queries(2) as small:
        client.get(reverse("statistics"))
    expected = len(small.captured_queries)
    make(18)
    cache.clear()
    with django_assert_num_queries(expected):
        page = client.get(reverse("statistics")).content.decode()
    assert "<td>10</td>" in page  # 10 waiting, 10 decided
