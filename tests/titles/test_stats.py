"""The public dashboard of delays and the expected decision date read the same figures; its charts (the backlog
week by week, the median delay month by month) are bounded in queries and drawn as SVG with their tables."""

import datetime
import re
import statistics

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from licences.enums import LICENCE
from tests.conftest import verified
from tests.factories import OrganisationFactory, UserFactory
from tests.titles.conftest import complete_draft
from titles import services, tasks
from titles.models import Application, RoutingRule, StatisticsSnapshot
from titles.stats import ALL_CERTS, Delays, Series, dashboard, history, median_days_to_decision, median_of_counts
from titles.www.public.charts import line_chart, nice_ceiling
from titles.www.public.views import history_charts

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
    # The page shows the whole, and one CERT's line beside it on demand.
    assert [line.cert_name for line in ours.rows_for()] == ["Ensemble des centres"]
    assert [line.cert_name for line in ours.rows_for("CERT de Marseille")] == ["CERT de Marseille",
                                                                              "Ensemble des centres"]

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


def test_the_page_reads_the_snapshot(client, known_times, procedure, django_assert_max_num_queries):
    client.get(reverse("statistics"))
    filed(procedure)
    with django_assert_max_num_queries(0):  # the snapshot, kept a minute in the process's cache
        page = client.get(reverse("statistics")).content.decode()
    assert "<td>2</td>" in page  # still the figures of the snapshot
    tasks.refresh_statistics()  # what beat runs every 5 minutes
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
    # Two for the table (waiting files, decisions in the window), two for the charts (titles.stats.history), and
    # the snapshot's read and its update_or_create with its savepoint (no snapshot yet: the page computes it).
    with django_assert_max_num_queries(12) as small:
        client.get(reverse("statistics"))
    expected = len(small.captured_queries)
    make(18)
    cache.clear()
    StatisticsSnapshot.objects.all().delete()
    with django_assert_num_queries(expected):
        page = client.get(reverse("statistics")).content.decode()
    assert "<td>10</td>" in page  # 10 waiting, 10 decided


# --- The charts -------------------------------------------------------------------------------------------------


@pytest.fixture
def withdrawn_last_week(frozen, procedure):
    """A file filed 10 days ago and withdrawn now: waiting a week ago, not any more."""
    application = filed(procedure)
    Application.objects.filter(pk=application.pk).update(submitted_at=NOW - 10 * DAY)
    services.apply_transition(application, "withdraw", actor=application.applicant, reason="Retrait")


@pytest.mark.parametrize(
    "values",
    [[3, 1, 2, 4, 10], [1, 2, 3, 4, 5, 10], [2, 2, 2, 7, 7], [0, 0, 1, 1, 1, 9, 9, 9], list(range(31))],
)
def test_the_median_of_a_histogram_is_the_median_of_its_values(values):
    counts = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    assert median_of_counts(counts) == statistics.median(values)
    assert median_of_counts({3: 2, 4: 2}) is None  # fewer than MIN_SAMPLE decided files: nothing to say


def test_backlog_week_by_week(known_times, withdrawn_last_week, procedure):
    figures = history()
    assert figures.weeks[-1] == NOW and figures.weeks[0] == NOW - 11 * 7 * DAY
    # The whole only by default (a chart of every CERT would draw 50 lines); one CERT's beside it on demand.
    assert [s.label for s in figures.backlog_series(procedure.code)] == [ALL_CERTS]
    series = {s.label: s.values for centre in ("CERT de Bordeaux", "CERT de Marseille")
              for s in figures.backlog_series(procedure.code, centre)}
    assert list(series) == ["CERT de Bordeaux", ALL_CERTS, "CERT de Marseille"]
    # Bordeaux: the file decided 40 days ago had waited since 90 days ago (the first seven instants, 77 to 42 days
    # ago, then the one decided 29 days ago after 10 days (35 days ago); none 28 and 21 days ago; the one filed 20
    # days ago since; a week ago also the one withdrawn since; now also the one filed 5 days ago. The files decided
    # yesterday after 1 to 4 days were filed after the instant a week ago.
    assert series["CERT de Bordeaux"] == [1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 2, 2]
    # Marseille: a week ago the two decided yesterday after 6 and 8 days; now the one filed 3 days ago.
    assert series["CERT de Marseille"] == [0] * 10 + [2, 1]
    assert series[ALL_CERTS] == [1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 4, 3]
    # Per CERT, every procedure together: here the only one.
    assert ({s.label: s.values for s in figures.backlog_series(centre="CERT de Bordeaux")}["CERT de Bordeaux"]
            == series["CERT de Bordeaux"])


def test_median_delay_month_by_month(known_times, procedure):
    figures = history()
    assert [m.strftime("%Y-%m") for m in (figures.months[0], figures.months[-1])] == ["2025-04", "2026-03"]
    series = {s.label: s.values for centre in ("CERT de Bordeaux", "CERT de Marseille")
              for s in figures.delay_series(procedure.code, centre)}
    # March: Bordeaux decided after 1, 2, 3, 4 and 10 days; Marseille after 6 and 8 (too few to say).
    assert series["CERT de Bordeaux"][-1] == 3
    assert series["CERT de Marseille"][-1] is None
    assert series[ALL_CERTS][-1] == 4
    # February: one file, decided after 50 days: too few to say; before, nothing.
    assert series[ALL_CERTS][:-1] == [None] * 11
    assert sum(figures.delays[(procedure.code, None)][-2].values()) == 1


def test_history_reads_two_queries_whatever_the_volume(frozen, procedure, cert, agent, django_assert_num_queries):
    def make(count):
        for index in range(count):
            if index % 2:
                decided(procedure, agent, delay_days=index, decided_days_ago=index * 5)
            else:
                waiting(procedure, agent, days_ago=index * 4)

    make(3)
    with django_assert_num_queries(2):
        history()
    make(16)
    with django_assert_num_queries(2):
        figures = history()
    assert figures.backlog_series()[0].values[-1] == 10


def test_a_chart_breaks_its_line_where_nothing_is_known():
    chart = line_chart("c", "Délai", [Series("A", [2, 4, None, 8, 9]), Series("B", [None] * 5)],
                       x_labels=list("abcde"), x_names=["janvier", "février", "mars", "avril", "mai"], unit="jours")
    a, b = chart.series
    assert len(a.paths) == 2 and len(a.points) == 4 and b.paths == [] and b.points == []
    assert a.dash != b.dash and a.marker != b.marker  # never told apart by colour alone
    assert [tick.label for tick in chart.y_ticks] == ["0", "2", "4", "6", "8", "10"]
    assert chart.rows[0] == ("janvier", ["2 jours", "—"])
    assert chart.summary == "A : 9 jours (mai), entre 2 jours et 9 jours sur la période ; B : trop peu de données."
    assert nice_ceiling(3) == (5, 1) and nice_ceiling(12) == (20, 4) and nice_ceiling(130) == (200, 40)


def test_the_page_draws_the_charts_with_their_tables(client, known_times, procedure):
    cache.clear()
    page = client.get(reverse("statistics")).content.decode()
    assert page.count('role="img"') == 2
    assert '<title id="attente-title">Demandes en attente de décision, semaine par semaine (toutes' in page
    assert "Ensemble des centres : 4 jours (mars 2026 (mois en cours))" in page
    assert "CERT de Bordeaux : 3 jours" not in page  # one CERT's line only on demand
    assert "Voir les données du graphique" in page and '<th scope="row">31 mars 2026</th><td>3</td>' in page
    # Coordinates are not localised: SVG would read the French "112,7" as two numbers.
    assert 'x="112.7"' in page and not re.search(r'(x|y|cx|cy)="\d+,\d|translate\(\d+,\d', page)

    page = client.get(reverse("statistics"), {"demarche": procedure.code}).content.decode()
    assert "semaine par semaine (Démarche d&#x27;essai)" in page
    page = client.get(reverse("statistics"), {"centre": "CERT de Bordeaux"}).content.decode()
    assert "CERT de Bordeaux : 3 jours (mars 2026 (mois en cours))" in page


def test_the_tables_show_the_whole_and_one_centre_on_demand(client, known_times, procedure):
    """The page keeps the same size whatever the number of files and CERTs: each procedure's whole by default,
    one CERT's line beside it when asked (the per-CERT table links to it)."""
    cache.clear()
    page = client.get(reverse("statistics")).content.decode()
    procedure_table = page[page.index("<caption>"):page.index("Par centre d'instruction")]
    assert "Ensemble des centres" in procedure_table and "CERT de Marseille" not in procedure_table
    assert 'href="?centre=CERT%20de%20Marseille"' in page
    page = client.get(reverse("statistics"), {"centre": "CERT de Marseille"}).content.decode()
    procedure_table = page[page.index("<caption>"):page.index("Par centre d'instruction")]
    assert "CERT de Marseille" in procedure_table and "CERT de Bordeaux" not in procedure_table
    assert "Ensemble des centres" in procedure_table
    response = client.get(reverse("statistics"), {"centre": "CERT de Nulle-part"})
    assert response.status_code == 422
    assert "Ce centre d&#x27;instruction n&#x27;existe pas" in response.content.decode()


def test_an_unknown_procedure_is_a_french_400(client, frozen):
    response = client.get(reverse("statistics"), {"demarche": "nope"})
    assert response.status_code == 422
    assert "Cette démarche n&#x27;existe pas" in response.content.decode()


def test_the_charts_of_no_file_say_so(frozen):
    charts = history_charts(history(), None)
    assert charts["backlog"].is_empty and charts["delays"].is_empty
