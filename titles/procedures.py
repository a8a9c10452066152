"""What a title app declares to plug a procedure into the engine: one `Procedure` subclass, registered."""

import datetime
from dataclasses import dataclass, field

from django import forms
from django.utils import timezone

from core.formats import euros, french_date
from titles.enums import Filer, PaymentMethod
from titles.models import ApplicationEvent
from titles.uploads import UploadRules


@dataclass(frozen=True)
class Step:
    slug: str
    label: str
    form_class: type[forms.Form]


@dataclass(frozen=True)
class RequiredDocument:
    kind: str
    label: str
    required: bool = True
    help_text: str = ""
    rules: UploadRules = field(default_factory=UploadRules)

    @property
    def accepted_display(self):
        kinds = {"image": "JPEG ou PNG", "pdf": "PDF"}
        return ", ".join(kinds[k] for k in self.rules.kinds) + f", {self.rules.max_bytes // (1024 * 1024)} Mo maximum"


class Missing(str):
    """What blocks a submission, in French, with the wizard step that fixes it (`step`: a form step's slug,
    `titles.enums.DOCUMENTS_STEP` or `PAYMENT_STEP`; empty when no step of the wizard can fix it). A `str`, so the
    message reads and joins as before; `validate_submission` may return these to point the recap at the right step."""

    def __new__(cls, message, step=""):
        missing = super().__new__(cls, message)
        missing.step = step
        return missing


@dataclass(frozen=True)
class HumanFallback:
    """Who a person can turn to instead of this site: shown on the start page and on every refusal, with the
    nearest point numérique (titles_tags.human_fallback).

    `phone` is the national line of the titles (ANTS, « 3400 », Monday to Friday 7:45–19:00, Saturday 8:00–17:00,
    as relayed by service-public.fr's pages on the carte grise); `alternative` is the way without this site where
    the law keeps one (a paper form, a mandated professional), with its `source`."""

    phone: str = "34 00"
    phone_label: str = "Agence nationale des titres sécurisés (ANTS), service gratuit + prix de l'appel"
    phone_hours: str = "Mo-Fr 07:45-19:00; Sa 08:00-17:00; PH off"
    alternative: str = ""
    source: str = ""


@dataclass(frozen=True)
class Output:
    """A PDF the procedure produces: its kind (unique per application), label, template and validity."""

    kind: str
    label: str
    template_name: str
    valid_days: int | None = None


@dataclass(frozen=True)
class Keep:
    """An explicit, named non-undo: the write's legal effect outlives the file (the reason says why, in English)."""

    reason: str

    def __call__(self, application, ctx):
        return None


def keep(reason):
    """Declare that a register write is not undone on a way out, and why (the registry test accepts it)."""
    return Keep(reason)


@dataclass(frozen=True)
class RegisterWrite:
    """A write a procedure makes in its register at transition `at`, with its undo.

    The engine calls `do(application, ctx)` at that transition, inside its transaction, after the event; on a way
    out (withdraw, reject, close) it calls `undo(application, ctx)` for every write whose `at` transition the file
    went through, last write first. An undo must be idempotent (nothing to undo: no-op) and writes a line in the
    register's history where the register has one. `undo=None` is allowed only when no way out can follow `at`
    (tests/titles/test_effects.py walks the table); `undo=keep("why")` names a write that stays on purpose.
    """

    at: str
    do: object
    undo: object = None

    @property
    def name(self):
        return getattr(self.do, "__name__", repr(self.do))


@dataclass(frozen=True)
class FeeLine:
    label: str
    cents: int


@dataclass(frozen=True)
class EligibilityQuestion:
    """A yes/no or multiple-choice question asked before the form.

    `unsupported` maps an answer to the explanation of the human channel to use instead;
    `redirect` maps an answer to the code of the procedure that fits the case.
    """

    name: str
    label: str
    choices: tuple[tuple[str, str], ...] = (("yes", "Oui"), ("no", "Non"))
    unsupported: dict = field(default_factory=dict)
    redirect: dict = field(default_factory=dict)
    help_text: str = ""


class Procedure:
    code = ""
    title = ""
    label = ""
    description = ""
    order = 100
    listed = True
    filers = (Filer.CITIZEN, Filer.MEDIATEUR)
    steps: tuple[Step, ...] = ()
    documents: tuple[RequiredDocument, ...] = ()
    eligibility: tuple[EligibilityQuestion, ...] = ()
    fee_cents = 0
    # How the fee is paid: a timbre fiscal step before the recap (TIMBRE), or by bank card at the very end, paying
    # and submitting in one act (CARD: the carte grise taxes). A free file (0 €) skips payment either way.
    payment = PaymentMethod.TIMBRE
    # The PDFs the engine queues at a transition, by transition name: {"submit": (...), "accept": (...)}.
    outputs: dict[str, tuple[Output, ...]] = {}
    # The register writes, each with its undo (see RegisterWrite), in the order they run.
    writes: tuple[RegisterWrite, ...] = ()
    # Default time to a decision when the statistics have too few decided files to say.
    expected_days = 15
    # A document issued at once, with nothing for the CERT to decide (the certificat de situation administrative):
    # right after `submit` the engine makes the portal's `issue` transition (SUBMITTED → DELIVERED), which queues
    # `outputs["issue"]` and e-mails "issued"; the file never waits in a CERT queue nor counts in its backlog.
    completed_on_submit = False
    # The phone line and, where the law keeps one, the way without this site (start page, every refusal).
    fallback = HumanFallback()
    # Where a procedure that an organisation files in its own name starts (its professional space), instead of the
    # start page's form; None for the others.
    start_url = None
    # Whether the file's page shows nothing the file's fingerprint does not cover, so that it may be kept whole
    # (titles/page_cache.py). None works it out: yes, unless the procedure adds a panel, words its own status or
    # guards a transition, any of which may read other rows (an appointment, the buyer's use of a cession code). A
    # procedure whose overrides read the file alone says True.
    page_reads_only_the_file = None

    @classmethod
    def page_shows_only_the_file(cls):
        if cls.page_reads_only_the_file is not None:
            return cls.page_reads_only_the_file
        return all(getattr(cls, name) is getattr(Procedure, name)
                   for name in ("detail_panel", "status_summary", "guard"))

    @property
    def submit_outputs(self):
        """The PDFs queued at submission (for templates, which cannot look a missing key up)."""
        return self.outputs.get("issue" if self.completed_on_submit else "submit", ())

    @property
    def fee_display(self):
        return euros(self.fee_cents)

    def get_step_form(self, step, application, data=None):
        """Return the form of a step, bound to `data` or showing what the draft holds."""
        return step.form_class(data=data, initial=application.data.get(step.slug, {}))

    def documents_for(self, application):
        """Return the documents this file asks for: `documents`, unless the file's facts make an optional one
        required (a contrôle technique for an older vehicle). The pièces step and the submission both ask these."""
        return self.documents

    def stored_step_form(self, step, application):
        """Return the step's form bound to what the draft holds (to check it is complete)."""
        return self.get_step_form(step, application, data=application.data.get(step.slug) or None)

    # Labels of the events this procedure's services write (kind -> French text), for the citizen's timeline.
    event_labels: dict = {}

    def record_step(self, application, step_slug, values):
        """Record the facts a valid step establishes (this vehicle, this cession) in the title app's typed rows, and
        return what the draft keeps of the step: by default all of it. `save_step` runs it in its transaction."""
        return values

    def refuse_mandate(self, mandate):
        """Return a French message if this procedure may not be filed under `mandate`, else None."""
        return None

    def fee_lines(self, application):
        """Return the lines of the fee, shown one by one before payment; override for computed fees."""
        return [FeeLine(f"Timbre fiscal — {self.label}", self.fee_cents)] if self.fee_cents else []

    def fee_total(self, application):
        return sum(line.cents for line in self.fee_lines(application))

    def fee_pending(self, application):
        """Return True while the answers that set the fee are missing (the fee is then 0 for now, not free): the
        wizard counts the payment step meanwhile, so that « Étape n sur N » does not grow halfway through."""
        return False

    def initial_data(self, application):
        """Return data to pre-fill the steps (e.g. from the applicant's identity); keyed by step slug."""
        return {}

    def summary_lines(self, application):
        """Return (label, value) pairs that describe the file, for the recap, the receipt and the agent."""
        lines = []
        for step in self.steps:
            form = self.stored_step_form(step, application)
            values = application.data.get(step.slug, {})
            for name, bound in form.fields.items():
                if name in values and values[name] not in ("", None, []):
                    lines.append((bound.label, self.display_value(bound, values[name])))
        return lines

    @staticmethod
    def display_value(field, value):
        """Return a stored value as a person reads it: choice labels, lists joined, booleans in words."""
        choices = dict(getattr(field, "choices", []) or [])
        if isinstance(value, list):
            return ", ".join(str(choices.get(item, item)) for item in value)
        if isinstance(value, bool):
            return "Oui" if value else "Non"
        if isinstance(field, forms.DateField) and isinstance(value, str):
            try:
                return french_date(value)
            except ValueError:
                return value
        return choices.get(value, value) if choices else value

    def departement(self, application):
        """Return the applicant's département, which routes the file."""
        return application.applicant.departement

    def guard(self, application, transition, actors):
        """Raise InvalidTransition to refuse a transition for a reason specific to this procedure."""

    def validate_submission(self, application):
        """Return a list of French messages that prevent submission (beyond steps, documents and payment); a
        `Missing(message, step=slug)` also tells the recap which step fixes it."""
        return []

    def after_submit_url(self, request, outcome):
        """Return where to send the person right after submission (e.g. a page showing a code once), or None.

        `outcome` is the submit's TransitionOutcome: `outcome.application`, and `outcome.facts` from the writes."""
        return None

    def detail_panel(self, application, user):
        """Return HTML this procedure adds to the file's page (e.g. a pré-demande's appointment), or None."""
        return None

    def status_summary(self, application):
        """Return a StatusSummary to replace the engine's wording for this file's status, or None."""
        return None

    def agent_status_labels(self, applications):
        """Return {application pk: label} for those of `applications` (this procedure's files on an agent's page)
        whose state, in the CERT's words, is not the engine's status (e.g. a pré-demande waiting for its deposit in
        a mairie); one query at most for the whole list."""
        return {}

    # The transition's writes, their undo, and one hook per transition ------------------------------------------

    def run_writes(self, application, ctx):
        """Run the register writes declared for this transition, in order (called by the engine)."""
        for write in self.writes:
            if write.at == ctx.transition.name:
                write.do(application, ctx)

    def undo_writes(self, application, ctx):
        """On a way out, undo the writes made at the transitions this file went through, last first; return the
        names of the writes undone (a `keep` is not undone)."""
        made = set(
            ApplicationEvent.objects.filter(application=application, kind__in={w.at for w in self.writes})
            .values_list("kind", flat=True)
        )
        undone = []
        for write in reversed(self.writes):
            if write.at in made and write.undo is not None and not isinstance(write.undo, Keep):
                write.undo(application, ctx)
                undone.append(write.name)
        return undone

    def hook(self, name):
        """Return the procedure's hook for transition `name` (`on_<name>`)."""
        return getattr(self, f"on_{name}")

    # Each runs inside the transition's transaction, after the event and the register writes (ctx: the
    # titles.effects.Context). Write your own rows there (or declare a RegisterWrite when it needs an undo);
    # never touch `application.status`.

    def on_submit(self, application, ctx):
        """After submission (e.g. tell the citizen what a professional filed in their name)."""

    def on_take(self, application, ctx):
        """After an agent takes the file."""

    def on_request_info(self, application, ctx):
        """After the agent asks for more information."""

    def on_answer(self, application, ctx):
        """After the citizen answers."""

    def on_accept(self, application, ctx):
        """After acceptance."""

    def on_reject(self, application, ctx):
        """After a refusal (the engine then undoes the register writes)."""

    def on_produce(self, application, ctx):
        """After the title is made."""

    def on_send(self, application, ctx):
        """After the title is sent."""

    def on_deliver(self, application, ctx):
        """After the title is handed over."""

    def on_issue(self, application, ctx):
        """After the portal issues a document at once (`completed_on_submit`)."""

    def on_withdraw(self, application, ctx):
        """After the citizen withdraws the file (the engine then undoes the register writes)."""

    def on_close(self, application, ctx):
        """After the portal closes the file (its expiry; the engine then undoes the register writes)."""

    def output_context(self, application, output):
        """Return extra context (JSON-serialisable) for one of the procedure's PDFs."""
        return {}

    def valid_until(self, application, output, issued_at):
        if output.valid_days is None:
            return None
        # The day in France: just after midnight, Paris, the UTC date is still the day before.
        return timezone.localdate(issued_at) + datetime.timedelta(days=output.valid_days)
