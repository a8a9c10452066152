"""`manage.py demo_data` gives the demo CERT agent a queue to work on and `/statistiques/` medians to show: files of
extra demo citizens, made through the services (licences/demo_files.py, vehicles/demo_files.py), and made once."""

import io

import pytest
from django.core.management import call_command
from django.template.defaultfilters import floatformat
from django.urls import reverse

from accounts.models import User
from licences.enums import LICENCE
from licences.models import EphotoCode
from notifications.models import OutgoingEmail
from titles.models import Application, ApplicationEvent, GeneratedDocument, Payment, UploadedDocument
from titles.registry import registry
from titles.workflow import DECIDED_STATUSES, Status
from vehicles.enums import VEHICLE
from vehicles.models import Vehicle

pytestmark = pytest.mark.django_db

MAIN_CITIZENS = ("usager@demo.test", "usager2@demo.test")


def demo_data(capture):
    """Run the command; the demo files are made once each app's transaction commits (here: the test's end of
    capture, which also runs the PDFs and e-mails, as the embedded mode does in-process)."""
    out = io.StringIO()
    with capture(execute=True):
        call_command("demo_data", stdout=out)
    return out.getvalue()


def counts():
    models = (User, Application, ApplicationEvent, UploadedDocument, GeneratedDocument, Payment, OutgoingEmail,
              Vehicle, EphotoCode)
    return {model.__name__: model.objects.count() for model in models}


def test_demo_data_gives_the_agent_a_queue_and_the_statistics_medians(settings, verified_client,
                                                                       django_capture_on_commit_callbacks):
    settings.DEBUG = True
    out = demo_data(django_capture_on_commit_callbacks)
    assert "Dossiers de démonstration du CERT de Bordeaux : 17 dossiers" in out
    assert "Dossiers de démonstration du CERT de Nîmes : 13 dossiers" in out
    # Then the professionals' files for their clients (vehicles/demo_pro.py, licences/demo_school.py).
    assert "Dossiers de démonstration du Garage de Provence : 5 démarches" in out
    assert "Dossiers de démonstration de l'auto-école Var Conduite : 5 démarches" in out
    # The main demo citizens' journeys start from a clean slate.
    assert not Application.objects.filter(applicant__email__in=MAIN_CITIZENS).exists()
    # Every PDF was rendered in-process, every e-mail sent.
    assert not GeneratedDocument.objects.exclude(status="ready").exists()
    assert not OutgoingEmail.objects.exclude(status="sent").exists()

    # --- The agent's queue: files of both CERTs, of different ages, in every pending state.
    client = verified_client(User.objects.get(email="agent@demo.test"))
    response = client.get(reverse("backoffice:queue"))
    assert response.status_code == 200
    queue = list(response.context["page"])
    assert len(queue) >= 10
    assert {application.cert.code for application in queue} == {"cert-bordeaux", "cert-nimes"}
    assert {application.status for application in queue} == {Status.SUBMITTED, Status.IN_REVIEW, Status.NEEDS_INFO}
    assert len({application.age_days for application in queue}) >= 6
    answered = [a for a in queue if a.events.filter(kind="answer").exists()]
    assert answered and all(a.status == Status.IN_REVIEW for a in answered)
    page = response.content.decode()
    for application in queue:
        assert application.reference in page
        assert client.get(reverse("backoffice:file", args=[application.reference])).status_code == 200

    # --- The public statistics: medians (and 90th percentiles) for procedures of both titles.
    response = client.get(reverse("statistics"))
    assert response.status_code == 200
    page = response.content.decode()
    with_median = {}
    for figures in response.context["dashboard"].procedures:
        for line in figures.by_cert:
            if line.decided.median is not None:
                assert line.decided.count >= 5 and line.decided.p90 >= line.decided.median
                assert f"{floatformat(line.decided.median, 1)} jours" in page
                with_median.setdefault(figures.title_label, set()).add(figures.code)
    assert len(with_median[registry.title_label(LICENCE)]) >= 2
    assert len(with_median[registry.title_label(VEHICLE)]) >= 1
    decided = Application.objects.filter(status__in=DECIDED_STATUSES)
    assert all(a.submitted_at < a.decided_at for a in decided)

    # --- Run again (as every `make run` does): nothing more is made.
    before = counts()
    out = demo_data(django_capture_on_commit_callbacks)
    assert "Dossiers de démonstration du CERT de Bordeaux : déjà en place." in out
    assert "Dossiers de démonstration du CERT de Nîmes : déjà en place." in out
    assert "Dossiers de démonstration du Garage de Provence : déjà en place." in out
    assert "Dossiers de démonstration de l'auto-école Var Conduite : déjà en place." in out
    assert counts() == before
