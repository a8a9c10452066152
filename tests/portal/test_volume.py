"""`manage.py load_volume`: the counts it promises, data the portal reads as its own (statuses matching events,
sequences reset), and the pages of an agent and a citizen rendering over it. PostgreSQL only (COPY)."""

import io
from collections import Counter

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from accounts.models import Membership, Organisation, User
from api.models import ApiKey
from licences.apps import AUTO_ECOLE
from licences.models import Licence
from portal.volume import LOADER_VERSION, PATHS, TARGETS, Loader, Plan, read_stamp, stamp, volume_api_key
from tests.conftest import give_static_code
from titles.models import Application, ApplicationEvent, GeneratedDocument, Mandate
from titles.registry import registry
from titles.workflow import Status
from vehicles.apps import PRO_AUTO
from vehicles.models import Holder, Vehicle

FILES = 2000
on_postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def test_the_plan_scales_the_national_volume_down():
    national = Plan.for_files(1_000_000)
    assert (national.organisations, national.agents, national.vehicles) == (5_000, 200, 2_000_000)
    small = Plan.for_files(FILES)
    assert (small.organisations, small.agents, small.certs, small.vehicles) == (12, 4, 2, 4000)
    # The scale bench loads every volume with the country's 50 CERTs, each with an agent.
    fixed = Plan.for_files(10_000, certs=50)
    assert (fixed.certs, fixed.agents, fixed.organisations) == (50, 50, 60)


def test_the_busiest_cert_is_stamped_only_when_asked():
    # An even spread stamps as before the option existed: a volume loaded then is reused, not reloaded.
    assert stamp(Plan.for_files(1_000_000)) == f"load_volume v{LOADER_VERSION} files=1000000 certs=50"
    busy = Plan.for_files(10_000, certs=50, busiest=0.75)
    assert stamp(busy) == f"load_volume v{LOADER_VERSION} files=10000 certs=50 busiest=0.75"
    with pytest.raises(ValueError, match="comprise entre 0 et 1"):
        Plan.for_files(10_000, busiest=1)


def test_the_busiest_cert_takes_its_share_and_the_others_their_turn():
    loader = Loader(Plan.for_files(10_000, certs=50, busiest=0.75), seed=16)
    loader.certs = list(range(1, 51))
    routed = Counter(loader.route(index) for index in range(10_000))
    assert set(routed) == set(loader.certs)
    assert 0.73 < routed[1] / 10_000 < 0.78  # three quarters, plus its turn among the rest
    assert max(count for cert, count in routed.items() if cert != 1) < 100
    even = Loader(Plan.for_files(10_000, certs=50), seed=16)
    even.certs = loader.certs
    assert [even.route(index) for index in range(100)] == [index % 50 + 1 for index in range(100)]


@pytest.mark.django_db
def test_a_share_out_of_bounds_is_refused_in_french():
    with pytest.raises(CommandError, match="--busiest : la part du CERT le plus chargé doit être comprise"):
        call_command("load_volume", files=10, busiest=1.5, stdout=io.StringIO())


@pytest.mark.skipif(on_postgres, reason="the refusal is SQLite's")
@pytest.mark.django_db
def test_refused_on_sqlite_in_french():
    with pytest.raises(CommandError, match="ne fonctionne qu'avec PostgreSQL"):
        call_command("load_volume", files=10, stdout=io.StringIO())
    assert not Application.objects.exists()


@pytest.mark.postgres
@pytest.mark.skipif(not on_postgres, reason="needs PostgreSQL (DATABASE_URL=postgres://…): the loader uses COPY")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_load_volume_counts_consistency_and_pages(client):
    out = io.StringIO()
    call_command("load_volume", files=FILES, stdout=out)
    assert "Volume chargé" in out.getvalue()
    # Never a second time, nor into a database in use: the volume's bench API keys can be computed.
    with pytest.raises(CommandError, match="contient déjà des dossiers"):
        call_command("load_volume", files=FILES, stdout=io.StringIO())

    assert Application.objects.count() == FILES
    assert Vehicle.objects.count() == Holder.objects.count() == 2 * FILES
    assert Licence.objects.count() == FILES
    assert Organisation.objects.count() == 12
    assert Membership.objects.filter(role="agent").count() == 4
    assert User.objects.count() == FILES + 4 + 10  # citizens, agents, a member of each other organisation
    events = ApplicationEvent.objects.count()
    assert 8 * FILES <= events <= 12 * FILES
    # Every procedure and every status is there.
    assert set(Application.objects.values_list("procedure_code", flat=True)) == {p.code for p in registry.all()}
    assert set(Application.objects.values_list("status", flat=True)) == set(Status.values)

    # Each file's last transition event leads to its status, and a file has one event per transition on its path.
    for application in Application.objects.order_by("?")[:200]:
        transitions = list(application.events.exclude(kind="message").order_by("created_at", "pk"))
        assert [e.kind for e in transitions] == [name for name, _ in PATHS[application.status]]
        if transitions:
            assert transitions[-1].to_status == application.status == TARGETS[transitions[-1].kind]
            assert application.submitted_at == transitions[0].created_at
        else:
            assert application.status == Status.DRAFT and application.submitted_at is None
        assert (application.cert_id is None) == (application.status == Status.DRAFT)

    # Every file a professional filed is under the citizen's confirmed mandate to that organisation, in force.
    filed = Application.objects.filter(organisation__isnull=False)
    assert filed.count() == Mandate.objects.count() > FILES // 10
    assert not filed.filter(mandate__isnull=True).exists()
    assert not Application.objects.filter(organisation__isnull=True, mandate__isnull=False).exists()
    for application in filed.select_related("mandate")[:50]:
        mandate = application.mandate
        assert (mandate.citizen_id, mandate.organisation_id) == (application.applicant_id, application.organisation_id)
        assert mandate.is_valid and application.procedure_code in mandate.procedures
    # Citizens may file most of these themselves: a share only goes through a professional.
    cession = Application.objects.filter(procedure_code="cession")
    assert 0 < cession.filter(organisation__isnull=False).count() < cession.count()

    # A key per garage and auto-école; the first of each (the benchmark's) opens the API with the documented key.
    professionals = Organisation.objects.filter(kind__in=[PRO_AUTO, AUTO_ECOLE]).order_by("pk")
    assert ApiKey.objects.count() == professionals.count() == len(set(ApiKey.objects.values_list("prefix", flat=True)))
    garage = professionals.filter(kind=PRO_AUTO).first()
    headers = {"Authorization": f"Bearer {volume_api_key(garage.pk, PRO_AUTO)}"}
    expected = set(Application.objects.filter(organisation=garage).values_list("reference", flat=True))
    assert len(expected) > 50  # more than a page: the cursor is walked
    listed, url = [], "/api/v1/files/?page_size=50"
    while url:
        page = client.get(url, headers=headers)
        assert page.status_code == 200, page.content
        listed += [f["reference"] for f in page.json()["results"]]
        url = page.json()["next"]
    assert len(listed) == len(set(listed)) and set(listed) == expected
    submitted = client.get("/api/v1/files/?status=submitted", headers=headers).json()["results"]
    garage_submitted = set(Application.objects.filter(organisation=garage, status=Status.SUBMITTED)
                           .values_list("reference", flat=True))
    assert submitted and {f["reference"] for f in submitted} <= garage_submitted
    assert len(submitted) == min(50, len(garage_submitted))
    wrong = {"Authorization": f"Bearer {volume_api_key(garage.pk + 1, PRO_AUTO)}"}
    assert client.get("/api/v1/files/", headers=wrong).status_code == 401

    # The database carries the loader's stamp (the bench reloads a database an older loader filled).
    with connection.cursor() as cursor:
        assert read_stamp(cursor) == f"load_volume v{LOADER_VERSION} files={FILES} certs=2"

    # The sequences follow the loaded ids: the ORM creates rows after them.
    created = Organisation.objects.create(kind="cert", name="Après le volume")
    assert created.pk > max(Organisation.objects.exclude(pk=created.pk).values_list("pk", flat=True))

    # The pages read the loaded data: the citizen's Mon espace and file, the agent's queue and file, verification.
    application = Application.objects.filter(status=Status.IN_REVIEW).select_related("applicant").first()
    client.force_login(application.applicant)
    page = client.get(reverse("titles:dashboard"))
    assert page.status_code == 200 and application.reference in page.content.decode()
    assert client.get(reverse("titles:detail", args=[application.reference])).status_code == 200

    agent = application.assigned_to
    device = give_static_code(agent)
    client.force_login(agent)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    queue = client.get(reverse("backoffice:queue"))
    assert queue.status_code == 200
    assert "dossier" in queue.content.decode()
    assert client.get(reverse("backoffice:file", args=[application.reference])).status_code == 200

    document = GeneratedDocument.objects.filter(application=application).get()
    assert client.get(reverse("titles:verify", args=[document.verification_code])).status_code == 200

    # The agent's page of a file of every procedure (those only a professional files carry its organisation).
    agents_cert = application.cert
    for procedure in registry.all():
        other = (Application.objects.filter(procedure_code=procedure.code, cert=agents_cert)
                 .exclude(status=Status.DRAFT).first())
        if other is not None:
            page = client.get(reverse("backoffice:file", args=[other.reference]))
            assert page.status_code == 200, procedure.code
    connection.close()
