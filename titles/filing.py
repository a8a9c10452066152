"""Opening a draft, and who may open it for whom: a citizen for herself, a member of an organisation under a mandate
that covers the procedure, a médiateur in an active assisted session with the citizen. Also the one-page filing
of a procedure (all its steps, then the submission), for the title apps' own pages.

The start page (`titles/www/citizen/wizard.py`) asks `filing_capacity` in what capacity the user files, then
`start_draft` opens the draft.
"""

from dataclasses import dataclass

from accounts.models import second_factor_passed
from core.exceptions import Refused
from titles import services
from titles.enums import Filer
from titles.models import AssistedSession, Mandate

# The code of a refusal that names nothing the user may reach: the page answers 404, as for a foreign object.
NOT_FOUND = "not_found"


class FilingRefused(Refused):
    """A draft that may not be opened as asked. With `code` NOT_FOUND, the mandate or the session is not one the
    user may file under (the caller answers 404); otherwise `reason` says in French why."""


@dataclass(frozen=True)
class Capacity:
    """In what capacity a user files: for herself (both None), under `mandate`, or in the assisted `session`."""

    mandate: Mandate | None = None
    session: AssistedSession | None = None


def filing_capacity(user, procedure, *, mandate_id="", session_id=""):
    """Return the Capacity in which `user` may file `procedure`: under the mandate `mandate_id`, in the assisted
    session `session_id`, or for herself when neither is given. Raise FilingRefused."""
    if mandate_id:
        return Capacity(mandate=filing_mandate(user, procedure, mandate_id))
    if session_id:
        return Capacity(session=filing_session(user, procedure, session_id))
    return Capacity()


def filing_mandate(user, procedure, mandate_id):
    """Return the valid mandate `mandate_id` under which `user`, an active member of its validated organisation who
    passed a second factor, may file `procedure`; raise FilingRefused (NOT_FOUND, or the procedure's refusal of
    this mandate, e.g. a paper mandate for a perte)."""
    if not user.is_authenticated or not str(mandate_id).isdigit():
        raise FilingRefused(NOT_FOUND, "Mandat introuvable")
    mandate = (
        Mandate.objects.valid()
        .select_related("organisation", "citizen")
        .filter(
            organisation__memberships__user=user,
            organisation__memberships__is_active=True,
            organisation__validated_at__isnull=False,
            organisation__is_active=True,
        )
        .filter(pk=mandate_id)
        .first()
    )
    if mandate is None:
        raise FilingRefused(NOT_FOUND, "Mandat introuvable")
    if procedure.code not in mandate.procedures or mandate.organisation.kind not in procedure.filers:
        raise FilingRefused(NOT_FOUND, "Ce mandat ne couvre pas cette démarche")
    if not second_factor_passed(user):
        raise FilingRefused(NOT_FOUND, "Second facteur requis")
    refused = procedure.refuse_mandate(mandate)
    if refused:
        raise FilingRefused("mandate", refused)
    return mandate


def filing_session(user, procedure, session_id):
    """Return the active assisted session `session_id` of the médiateur `user` (second factor passed) for a
    procedure a médiateur may file; raise FilingRefused (NOT_FOUND)."""
    if not user.is_authenticated or not str(session_id).isdigit() or not second_factor_passed(user):
        raise FilingRefused(NOT_FOUND, "Séance introuvable")
    if Filer.MEDIATEUR not in procedure.filers:
        raise FilingRefused(NOT_FOUND, "Cette démarche ne se fait pas avec un médiateur")
    session = AssistedSession.objects.active().select_related("citizen").filter(pk=session_id, mediateur=user).first()
    if session is None:
        raise FilingRefused(NOT_FOUND, "Séance introuvable")
    return session


def start_draft(procedure, *, user, capacity):
    """Open a draft of `procedure` filed by `user` in `capacity` (from `filing_capacity`): the applicant is the
    mandate's or the session's citizen, else `user`. Raise FilingRefused when only a mandated professional may
    file this procedure and `user` files for herself."""
    mandate, session = capacity.mandate, capacity.session
    if mandate is None and Filer.CITIZEN not in procedure.filers:
        raise FilingRefused("professional", "Cette démarche se fait uniquement par un professionnel mandaté.")
    return services.create_draft(
        procedure,
        applicant=mandate.citizen if mandate else (session.citizen if session else user),
        filed_by=user,
        organisation=mandate.organisation if mandate else None,
        mandate=mandate,
        assisted_by=user if session else None,
    )


def file_on_one_page(application, make_form, *, actor):
    """Fill and submit a draft from one page: for each step in order, build its bound form with `make_form(step)`,
    validate it and save it (journaled when `actor` acts for the applicant), then submit once every step is valid.

    Each form is built after the previous step is saved: a step may read what the one before established (the
    vehicle, for the cession). Return `(forms, outcome)`, forms as `(step, form)` pairs and outcome None while a
    form is invalid; raise InvalidTransition when the submission is refused.
    """
    forms = []
    for step in application.procedure.steps:
        form = make_form(step)
        if form.is_valid():
            services.save_step(application, step.slug, form.cleaned_data, actor=actor)
        forms.append((step, form))
    if not all(form.is_valid() for _, form in forms):
        return forms, None
    return forms, services.apply_transition(application, "submit", actor=actor)
