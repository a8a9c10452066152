"""Helpers the title apps' demo files share: an extra demo citizen, a professional's mandate, a stand-in scan, a
draft filled and filed through the services, and the demo-only backdating of a file's dates. Used by
`manage.py demo_data` only."""

import datetime
import io

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from PIL import Image, ImageDraw
from pypdf import PdfWriter

from accounts.enums import IdentitySource
from accounts.models import Organisation, User
from journal.enums import Action
from titles import cards, services
from titles.enums import ConsentMethod, PaymentMethod
from titles.models import Application, Mandate, Message, RoutingRule
from titles.payments import EmbeddedIssuer
from titles.uploads import clean_upload

# The demo's département: its files are routed for it and, as the fallback, for every other one.
DEMO_DEPARTEMENTS = ("83", "")


def route_title(title, cert_code, departements=DEMO_DEPARTEMENTS):
    """Route a title's files to the CERT `cert_code` (the 2017 press kit: for the Var, permis → Bordeaux,
    immatriculation → Nîmes, CNI and passeports → Toulon), for the Var and as the title's fallback."""
    cert = Organisation.objects.certs().get(code=cert_code)
    for departement in departements:
        RoutingRule.objects.update_or_create(
            title=title, procedure_code="", departement=departement, defaults={"cert": cert}
        )
    return cert


def citizen(n, spec, password, now, *, phone_prefix):
    """Create (or put back) the extra citizen `demo.citoyen<n>@demo.test`: verified e-mail, declared identity, the
    demo password (`password`, hashed once by the caller), an account opened 60 days ago."""
    user, _ = User.objects.update_or_create(email=f"demo.citoyen{n}@demo.test", defaults={
        **spec, "birth_date": datetime.date.fromisoformat(spec["birth_date"]), "birth_country": "99100",
        "identity_source": IdentitySource.DECLARED, "email_verified_at": now, "is_active": True,
        "phone": f"{phone_prefix}{n:02d}{n * 37 % 100:02d}{n * 53 % 100:02d}{n * 71 % 100:02d}",
        "password": password, "date_joined": now - datetime.timedelta(days=60)})
    return user


def mandate(client, organisation, staff, procedures, since):
    """Return the client's valid mandate to the organisation, or record one: electronic, confirmed by the client
    `since` (a moment before the first file filed under it), valid one year from then."""
    given = Mandate.objects.valid().filter(citizen=client, organisation=organisation).first()
    if given is not None:
        return given
    given = Mandate.objects.create(
        citizen=client, organisation=organisation, procedures=list(procedures),
        consent_method=ConsentMethod.ELECTRONIC, valid_from=since, valid_until=since + datetime.timedelta(days=365),
        created_by=staff, created_at=since, confirmed_at=since + datetime.timedelta(hours=2),
    )
    # Journaled at load time, as the files' events are: the journal's dates are never moved back.
    services.journal_mandate(Action.MANDATE_CREATED, given, actor=staff)
    services.journal_mandate(Action.MANDATE_CONFIRMED, given, actor=client)
    return given


def demo_agent(email):
    """Return the demo agent as one who passed the second factor with their demo back-up codes.

    The demo loader does what the agent would do in the back office, where every access resting on a membership
    needs a second factor (`accounts.models.second_factor_passed` reads the device django-otp puts on the user).
    """
    agent = get_user_model().objects.get(email=email)
    agent.otp_device = StaticDevice.objects.get(user=agent)
    return agent


def scan(name, n, *, pdf=False):
    """Return a small checked upload standing in for a scanned document (a grey page, or a one-page PDF)."""
    if pdf:
        writer = PdfWriter()
        writer.add_blank_page(width=595, height=842)
        buffer = io.BytesIO()
        writer.write(buffer)
        return clean_upload(SimpleUploadedFile(f"{name}.pdf", buffer.getvalue(), content_type="application/pdf"))
    image = Image.new("RGB", (420, 297), ("#f4f1ea", "#eef1f4", "#f2f4ee")[n % 3])
    draw = ImageDraw.Draw(image)
    draw.rectangle((12, 12, 407, 284), outline="#6a6a6a", width=2)
    for row in range(6):
        draw.line((36, 70 + row * 32, 300 - (row * 37 % 90), 70 + row * 32), fill="#9a9a9a", width=3)
    draw.text((36, 28), "DOCUMENT DE DEMONSTRATION", fill="#444444")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return clean_upload(SimpleUploadedFile(f"{name}.jpg", buffer.getvalue(), content_type="image/jpeg"))


def fill_and_submit(application, steps, person, n, *, extra_documents=(), file_names=None):
    """Fill every step through its form, add the required documents, pay (a timbre, or the provider's test card
    `tok_visa` paying and submitting at once), submit; return the outcome."""
    procedure = application.procedure
    for step in procedure.steps:
        form = procedure.get_step_form(step, application, data=steps[step.slug])
        if not form.is_valid():
            raise ValueError(f"{procedure.code} / {step.slug}: {form.errors.as_text()}")
        services.save_step(application, step.slug, form.cleaned_data)
    for document in procedure.documents:
        if document.required or document.kind in extra_documents:
            upload = scan((file_names or {}).get(document.kind, document.kind), n)
            services.add_document(application, kind=document.kind, clean_file=upload, uploaded_by=person)
    total = procedure.fee_total(application)
    if total and procedure.payment == PaymentMethod.CARD:
        return cards.pay_by_card_and_submit(application, actor=person, token="tok_visa").submitted
    if total:
        issuer = EmbeddedIssuer()
        number = issuer.buy(amount_cents=total, buyer=person)
        services.record_payment(application, timbre_number=number, amount_cents=total, issuer=issuer.name,
                                actor=person)
    return services.apply_transition(application, "submit", actor=person)


def date_back(application, submitted_at, spec, now, *, decision_time=datetime.timedelta(hours=3)):
    """DEMO DATA ONLY: move the file's own dates back, as if it had been filed `spec["age"]` days ago and decided
    `spec["delay"]` days later (events, PDFs and e-mails keep their real time). Never outside the demo: the engine
    writes these columns."""
    application = Application.objects.get(pk=application.pk)
    decided_at = None
    if application.decided_at is not None:
        decided_at = submitted_at + datetime.timedelta(days=spec["delay"]) + decision_time
    touched = decided_at or min(submitted_at + datetime.timedelta(days=max(1, spec["age"] // 2)), now)
    if not spec["path"]:
        touched = submitted_at
    shift = timezone.localdate(now) - submitted_at.date()
    Application.objects.filter(pk=application.pk).update(
        created_at=submitted_at - datetime.timedelta(minutes=30),
        submitted_at=submitted_at,
        decided_at=decided_at,
        expected_decision_at=application.expected_decision_at - shift,
        updated_at=touched,
    )
    Message.objects.filter(application=application).update(created_at=touched)
