"""Accessibility (RGAA, i.e. WCAG 2.1 A and AA): axe-core audits the main pages of every kind of user, every step
of the main wizards, their forms sent empty (re-rendered with their errors) and the assisted-session pages.

The demo data is loaded, the portal is served by pytest-django's live server, and tests/a11y/axe-audit.mjs opens
each page in headless Chromium (the system's, through puppeteer-core) with the user's session (second factor passed
for the professionals), under the portal's CSP (a script or style it refuses fails the audit), runs axe-core's
WCAG 2.1 A/AA rules and reports what fails. Needs Chromium and the npm packages (`make test` installs the npm ones;
`.ci/run` installs Chromium); skipped otherwise, saying so.

Also audited: the login, signup, second-factor and auto-école forms sent empty, the pré-demande and its mairie
appointment page, the kiosk pages. axe checks what a machine can check (contrast, names, labels, structure, ARIA):
about a third of the RGAA's criteria. Journeys also run with the keyboard only, the focus visible at every stop
(tests/a11y/keyboard-journeys.mjs), and some pages at 320 px wide (reflow). The rest (alternatives, readability,
the other journeys) is a human audit's.
"""

import datetime
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from PIL import Image

from accounts.demo import DEMO_PASSWORD, DEMO_STATIC_CODES
from accounts.models import User
from titles import services
from titles.models import Application, AssistedSession
from titles.presentation import wizard_steps
from titles.registry import registry
from titles.workflow import Status
from vehicles import services as vehicle_services
from vehicles.enums import CESSION, CHANGEMENT_ADRESSE, CHANGEMENT_TITULAIRE, DUPLICATA
from vehicles.models import Vehicle

BASE_DIR = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
AUDIT = BASE_DIR / "tests" / "a11y" / "axe-audit.mjs"

pytestmark = [
    pytest.mark.skipif(
        not (CHROMIUM and shutil.which("node") and (BASE_DIR / "node_modules" / "puppeteer-core").is_dir()),
        reason="audit d'accessibilité ignoré : il faut Chromium (apt-get install chromium) et `npm ci`",
    ),
    # The live server reads what the test wrote: committed data, restored afterwards for the tests that follow.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ANONYMOUS = ["/", "/aide/", "/points-numeriques/", "/statistiques/", "/verifier/", "/compte/connexion/",
             "/compte/inscription/", "/accessibilite/", "/mentions-legales/"]


@pytest.fixture
def demo(settings):
    settings.DEBUG = True  # demo_data refuses to run otherwise
    call_command("demo_data", stdout=io.StringIO())
    settings.DEBUG = False


def session_of(email):
    """The session cookie of a demo user signed in (second factor passed for the professionals)."""
    user = User.objects.get(email=email)
    client = Client()
    client.force_login(user)
    device = StaticDevice.objects.filter(user=user).first()  # the demo professionals have back-up codes
    if device is not None:
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    return [{"name": "sessionid", "value": client.cookies["sessionid"].value}]


def before_second_factor(email):
    """The session cookie of a demo professional signed in with the password only (the second factor asked)."""
    client = Client()
    client.force_login(User.objects.get(email=email))
    return [{"name": "sessionid", "value": client.cookies["sessionid"].value}]


# The wizards audited step by step: what most people file, a title each (the five journeys of issue 14 among them).
WIZARDS = ["permis-perte", "passeport-pre-demande", "cni-pre-demande", CHANGEMENT_TITULAIRE, CHANGEMENT_ADRESSE,
           "permis-echange"]


def wizard_pages(citizen_email):
    """Every step of a fresh draft of each wizard, and its first form sent empty; the cession's one-page form."""
    user = User.objects.get(email=citizen_email)
    cookies = session_of(citizen_email)
    vehicle = Vehicle.objects.held_by(user).first()
    targets = []
    for code in WIZARDS:
        procedure = registry.get(code)
        if code == CHANGEMENT_ADRESSE:
            draft = vehicle_services.start_for_vehicle(procedure, vehicle, user=user)
        else:
            draft = services.create_draft(procedure, applicant=user, filed_by=user)
        steps = wizard_steps(draft)
        for number, step in enumerate(steps, 1):
            targets.append((f"{code} : étape {number}/{len(steps)} ({step.label})", step.url, cookies, False))
        targets.append((f"{code} : étape 1 envoyée vide (erreurs)", steps[0].url, cookies, True))
    cession = vehicle_services.start_for_vehicle(registry.get(CESSION), vehicle, user=user)
    targets.append(("cession : déclaration", f"/vehicules/cessions/{cession.reference}/", cookies, False))
    targets.append(("cession : déclaration envoyée vide (erreurs)", f"/vehicules/cessions/{cession.reference}/",
                    cookies, True))
    return targets


def mediation_pages():
    """The médiateur's console sent empty, a session waiting for the citizen's code (and that code sent empty), a
    running session; with the second factor passed."""
    mediateur = User.objects.get(email="mediateur@demo.test")
    place = mediateur.memberships.select_related("organisation").first().organisation
    citizens = User.objects.filter(email__in=["usager@demo.test", "usager2@demo.test"]).order_by("email")
    waiting = services.open_assisted_session(mediateur=mediateur, place=place, citizen=citizens[0])
    running = services.open_assisted_session(mediateur=mediateur, place=place, citizen=citizens[1])
    # Fixture only: the citizen gave the code from their e-mail.
    AssistedSession.objects.filter(pk=running.pk).update(consented_at=running.created_at)
    cookies = session_of("mediateur@demo.test")
    return [
        ("médiateur : ouverture de séance envoyée vide (erreurs)", "/mediation/", cookies, True),
        ("médiateur : consentement", f"/mediation/seance/{waiting.pk}/consentement/", cookies, False),
        ("médiateur : consentement envoyé vide (erreurs)", f"/mediation/seance/{waiting.pk}/consentement/", cookies,
         True),
        ("médiateur : séance en cours", f"/mediation/seance/{running.pk}/", cookies, False),
        ("médiateur : démarche pendant la séance", f"/demarches/permis-perte/?seance={running.pk}", cookies, False),
    ]


def pages(base_url):
    waiting = Application.objects.filter(status=Status.NEEDS_INFO).select_related("applicant").first()
    in_queue = Application.objects.filter(status=Status.SUBMITTED, cert__memberships__user__email="agent@demo.test")
    queued = in_queue.first()
    citizen = session_of(waiting.applicant.email)
    targets = [("anonyme " + path, path, []) for path in ANONYMOUS]
    targets += [
        ("usager : mon espace", "/mon-espace/", citizen),
        ("usager : dossier en attente de complément", f"/dossiers/{waiting.reference}/", citizen),
        ("usager : mes mandats", "/mes-mandats/", citizen),
        ("usager : mon compte", "/compte/", citizen),
        ("usager : démarche cession", "/demarches/cession/", session_of("usager@demo.test")),
        ("usager : démarche permis (perte)", "/demarches/permis-perte/", session_of("usager@demo.test")),
        ("agent : file d'instruction", "/instruction/", session_of("agent@demo.test")),
        ("agent : dossier", f"/instruction/dossiers/{queued.reference}/", session_of("agent@demo.test")),
        ("médiateur : accompagnement", "/mediation/", session_of("mediateur@demo.test")),
        ("auto-école", "/permis/auto-ecole/", session_of("autoecole@demo.test")),
        ("garage", "/vehicules/pro/", session_of("garage@demo.test")),
        ("mairie", "/identite/mairie/", session_of("mairie@demo.test")),
    ]
    targets = [(*target, False) for target in targets]
    school = session_of("autoecole@demo.test")
    filed = filed_pre_demande("usager@demo.test")
    usager = session_of("usager@demo.test")
    targets += [
        ("anonyme : connexion envoyée vide (erreurs)", "/compte/connexion/", [], True),
        ("anonyme : inscription envoyée vide (erreurs)", "/compte/inscription/", [], True),
        ("anonyme : appareil partagé", "/appareil-partage/", [], False),
        ("anonyme : fin de session sur un appareil partagé", "/appareil-partage/termine/", [], False),
        ("auto-école : nouvel élève", "/permis/auto-ecole/eleves/nouveau/", school, False),
        ("auto-école : nouvel élève envoyé vide (erreurs)", "/permis/auto-ecole/eleves/nouveau/", school, True),
        ("garage : demander un mandat", "/vehicules/pro/mandat/", session_of("garage@demo.test"), False),
        ("garage : demande de mandat envoyée vide (erreurs)", "/vehicules/pro/mandat/", session_of("garage@demo.test"),
         True),
        ("usager : pré-demande déposée", f"/identite/dossiers/{filed.reference}/", usager, False),
        ("usager : rendez-vous en mairie", f"/identite/dossiers/{filed.reference}/rendez-vous/", usager, False),
        ("agent : second facteur", "/compte/second-facteur/", before_second_factor("agent@demo.test"), False),
        ("agent : second facteur envoyé vide (erreurs)", "/compte/second-facteur/",
         before_second_factor("agent@demo.test"), True),
    ]
    targets += wizard_pages("usager2@demo.test") + mediation_pages()
    return [
        {"name": name, "url": base_url + path, "cookies": cookies, "submitEmpty": empty}
        for name, path, cookies, empty in targets
    ]


def test_the_main_pages_pass_axe_wcag_21_aa(demo, live_server, tmp_path):
    targets = pages(live_server.url)
    spec = tmp_path / "pages.json"
    spec.write_text(json.dumps(targets))
    run = subprocess.run(["node", str(AUDIT), str(spec)], cwd=BASE_DIR, capture_output=True, text=True, timeout=300,
                         env={"PATH": "/usr/bin:/bin", "CHROMIUM": CHROMIUM, "HOME": str(tmp_path)})
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads(run.stdout.split("AXE_JSON ", 1)[1])
    assert len(results) == len(targets) > 70
    problems = []
    for target, page in zip(targets, results, strict=True):
        if target["submitEmpty"]:  # the form re-rendered with its errors, in place, with a 4xx
            if not (page["submitted"] and page["errors"] and page["status"] == 422):
                problems.append(f"{page['name']}: no form re-rendered with errors (HTTP {page['status']})")
        elif page["status"] != 200 or page["url"] != target["url"]:  # not audited: an error, or sent elsewhere
            problems.append(f"{page['name']}: HTTP {page['status']} at {page['url']}")
        problems += [f"{page['name']}: CSP refused {violation}" for violation in page["csp"]]
        for violation in page["violations"]:
            where = "; ".join(node["target"] for node in violation["nodes"])
            problems.append(
                f"{page['name']}: [{violation['impact']}] {violation['id']} — {violation['help']} — {where}"
            )
    assert problems == [], "\n" + "\n".join(problems)


KEYBOARD = BASE_DIR / "tests" / "a11y" / "keyboard-journeys.mjs"
# The journeys of issue 14 driven with the keyboard only, each its own test (a failure names it); the last step
# each must reach. The carte grise's payment is in one function of the script (payCarteGrise), for the bank card
# step that replaces the timbre.
JOURNEYS = {
    "permis-perte": "filed: the file's page",
    "cession": "code de cession",
    "auto-ecole": "school space, the student listed",
    "mediation": "session ended",
    "passeport-pre-demande": "appointment booked",
    "changement-titulaire": "filed: the file's page",
    "duplicata-carte": "paid and filed: the file's page",
}


def run_journey(name, live_server, tmp_path):
    scan = tmp_path / "scan.jpg"
    Image.new("RGB", (800, 600), "white").save(scan, "JPEG")
    today = timezone.localdate()
    spec = {
        "base": live_server.url,
        "upload": str(scan),
        "screenshots": str(tmp_path),  # where a journey that stops leaves a picture of the page
        "journeys": [name],
        "accounts": {
            "usager": ["usager@demo.test", DEMO_PASSWORD],
            "acquereur": ["usager2@demo.test", DEMO_PASSWORD],
            "usager2": ["usager2@demo.test", DEMO_PASSWORD],
            "autoecole": ["autoecole@demo.test", DEMO_PASSWORD, DEMO_STATIC_CODES[0]],
        },
        "lostOn": (today - datetime.timedelta(days=3)).isoformat(),
        "soldOn": (today - datetime.timedelta(days=1)).isoformat(),
        "permisDocuments": [d.kind for d in registry.get("permis-perte").documents if d.required],
        # usager@demo.test's vehicles in the demo (vehicles/demo.py): what proves each is theirs.
        "vehicles": {"GD-482-ZP": {"formule": "2019CK04715"}, "7412 XB 83": {"date": "2008-11-05"},
                     "FT-306-LE": {"formule": "2023FT51208"}, "CK-593-HN": {"formule": "2012AZ33071"}},
        "duplicataDocuments": [d.kind for d in registry.get(DUPLICATA).documents if d.required],
        # The payment provider's test card (titles.cards.EmbeddedCardProvider), valid three years from today.
        "card": {"number": "4242 4242 4242 4242", "expiry": f"12/{(today.year + 3) % 100:02d}", "cvc": "123",
                 "holder": "KARIM BENALI"},
        "cessionButton": "Déclarer la vente ou le don",
        "student": {"email": "lea.nouvelle@exemple.test", "givenNames": "Léa", "familyName": "NOUVELLE",
                    "birthDate": (today - datetime.timedelta(days=365 * 17 + 30)).isoformat()},
    }
    buyer = User.objects.get(email="usager2@demo.test")
    spec["buyer"] = {"familyName": buyer.family_name, "givenNames": buyer.given_names}
    spec["titulaire"] = {
        "address": {"address_line": "3 place du Marché", "postal_code": "83300", "city": "Draguignan"},
        "ctOn": (today - datetime.timedelta(days=40)).isoformat(),
    }
    if name == "passeport-pre-demande":
        from tests.identity.conftest import STEPS
        from tests.identity.test_cni_passeport import ELIGIBLE

        spec["passeport"] = {"eligibility": ELIGIBLE, "steps": STEPS}
    if name == "mediation":
        mediateur = User.objects.get(email="mediateur@demo.test")
        place = mediateur.memberships.select_related("organisation").first().organisation
        citizen = User.objects.get(email="usager2@demo.test")
        session = services.open_assisted_session(mediateur=mediateur, place=place, citizen=citizen)
        # Fixture only: the citizen gave the code from their e-mail.
        AssistedSession.objects.filter(pk=session.pk).update(consented_at=session.created_at)
        spec["session"] = {"pk": session.pk, "citizen": citizen.get_full_name()}
        spec["accounts"]["mediateur"] = ["mediateur@demo.test", DEMO_PASSWORD, DEMO_STATIC_CODES[1]]
    path = tmp_path / "journeys.json"
    path.write_text(json.dumps(spec))
    run = subprocess.run(["node", str(KEYBOARD), str(path)], cwd=BASE_DIR, capture_output=True, text=True, timeout=300,
                         env={"PATH": "/usr/bin:/bin", "CHROMIUM": CHROMIUM, "HOME": str(tmp_path)})
    assert run.returncode == 0, run.stderr[-3000:]
    [result] = json.loads(run.stdout.split("KEYBOARD_JSON ", 1)[1])
    assert result["name"] == name
    return result


# Not marked `dates`: each journey loads the demo data and drives Chromium (≈ 15 s), and six more runs of the seven
# would put .ci/run past its 15 minutes; the dates they use are all counted from today (a loss days ago, a sale
# yesterday, the CT due, the mairie's next free slots), and the services under them run under the six days.
@pytest.mark.parametrize("name", list(JOURNEYS))
def test_the_journey_runs_with_the_keyboard_only(name, demo, live_server, tmp_path):
    """From sign-in (second factor included for a professional) to the journey's last page, with Tab, Enter,
    Space, arrows and typing only, the focus visible at every stop (tests/a11y/keyboard-journeys.mjs)."""
    result = run_journey(name, live_server, tmp_path)
    assert result["error"] is None, (
        f"{name}: {result['error']} (after {[s['step'] for s in result['steps']]}; screenshot in {tmp_path})"
    )
    assert result["steps"][-1]["step"] == JOURNEYS[name]


def filed_pre_demande(email):
    """A passeport pré-demande filed by the demo user `email` (its summary and appointment pages)."""
    from tests.identity.conftest import fill, pay

    applicant = User.objects.get(email=email)
    application = services.create_draft(registry.get("passeport-pre-demande"), applicant=applicant,
                                        filed_by=applicant)
    pay(fill(application))
    services.apply_transition(application, "submit", actor=applicant)
    return application


def narrow_pages(base_url):
    """The pages issue 14 saw clipped at 320 px: a file's page with its timeline (history numbers), the pré-demande
    summary (its number and QR code); and Mon espace, where the files are listed."""
    waiting = Application.objects.filter(status=Status.NEEDS_INFO).select_related("applicant").first()
    applicant = User.objects.get(email="usager2@demo.test")
    pre_demande = filed_pre_demande(applicant.email)
    targets = [
        ("320 px : dossier et son historique", f"/dossiers/{waiting.reference}/", session_of(waiting.applicant.email)),
        ("320 px : récapitulatif de la pré-demande", f"/identite/dossiers/{pre_demande.reference}/",
         session_of(applicant.email)),
        ("320 px : historique du dossier de pré-demande", f"/dossiers/{pre_demande.reference}/",
         session_of(applicant.email)),
        ("320 px : mon espace", "/mon-espace/", session_of(applicant.email)),
    ]
    return [{"name": name, "url": base_url + path, "cookies": cookies, "submitEmpty": False, "width": 320}
            for name, path, cookies in targets]


def test_nothing_is_cut_or_scrolls_sideways_at_320_px(demo, live_server, tmp_path):
    """WCAG 1.4.10 (reflow): at 320 CSS px wide, no horizontal scroll and no element cut or out of the screen."""
    targets = narrow_pages(live_server.url)
    spec = tmp_path / "pages.json"
    spec.write_text(json.dumps(targets))
    run = subprocess.run(["node", str(AUDIT), str(spec)], cwd=BASE_DIR, capture_output=True, text=True, timeout=300,
                         env={"PATH": "/usr/bin:/bin", "CHROMIUM": CHROMIUM, "HOME": str(tmp_path)})
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads(run.stdout.split("AXE_JSON ", 1)[1])
    problems = []
    for target, page in zip(targets, results, strict=True):
        if page["status"] != 200 or page["url"] != target["url"]:
            problems.append(f"{page['name']}: HTTP {page['status']} at {page['url']}")
        overflow = page["overflow"]
        assert overflow["clientWidth"] == 320
        if overflow["scrollWidth"] > overflow["clientWidth"]:
            problems.append(f"{page['name']}: scrolls sideways ({overflow['scrollWidth']} px)")
        problems += [f"{page['name']}: {problem}" for problem in overflow["problems"]]
    assert problems == [], "\n" + "\n".join(problems)
