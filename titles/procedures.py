"""What a title app declares to plug a procedure into the engine: one `Procedure` subclass, registered."""

import datetime
from dataclasses import dataclass, field

from django import forms
from django.utils import timezone
from django.utils.formats import date_format

from titles.enums import Filer
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


@dataclass(frozen=True)
class Output:
    """A PDF the procedure produces: its kind (unique per application), label, template and validity."""

    kind: str
    label: str
    template_name: str
    valid_days: int | None = None


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
    on_submit: tuple[Output, ...] = ()
    on_accept: tuple[Output, ...] = ()
    # Default time to a decision when the statistics have too few decided files to say.
    expected_days = 15

    @property
    def fee_display(self):
        return f"{self.fee_cents / 100:.2f} €".replace(".", ",")

    def get_step_form(self, step, application, data=None):
        """Return the form of a step, bound to `data` or showing what the draft holds."""
        return step.form_class(data=data, initial=application.data.get(step.slug, {}))

    def stored_step_form(self, step, application):
        """Return the step's form bound to what the draft holds (to check it is complete)."""
        return self.get_step_form(step, application, data=application.data.get(step.slug) or None)

    # Labels of the events this procedure's services write (kind -> French text), for the citizen's timeline.
    event_labels: dict = {}

    def refuse_mandate(self, mandate):
        """Return a French message if this procedure may not be filed under `mandate`, else None."""
        return None

    def fee_lines(self, application):
        """Return the lines of the fee, shown one by one before payment; override for computed fees."""
        return [FeeLine(f"Timbre fiscal — {self.label}", self.fee_cents)] if self.fee_cents else []

    def fee_total(self, application):
        return sum(line.cents for line in self.fee_lines(application))

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
                return date_format(datetime.date.fromisoformat(value), "j F Y")
            except ValueError:
                return value
        return choices.get(value, value) if choices else value

    def departement(self, application):
        """Return the applicant's département, which routes the file."""
        return application.applicant.departement

    def guard(self, application, transition, actors):
        """Raise InvalidTransition to refuse a transition for a reason specific to this procedure."""

    def validate_submission(self, application):
        """Return a list of French messages that prevent submission (beyond steps, documents and payment)."""
        return []

    def on_submitted(self, application, actor):
        """Do what submission means for this procedure, inside the submit transaction (e.g. register a cession)."""

    def after_submit_url(self, request, application):
        """Return where to send the person right after submission (e.g. a page showing a code once), or None."""
        return None

    def on_rejected(self, application, actor):
        """Undo, inside the reject (or close) transaction, what submission registered (e.g. a cession)."""

    def detail_panel(self, application, user):
        """Return HTML this procedure adds to the file's page (e.g. a pré-demande's appointment), or None."""
        return None

    def status_summary(self, application):
        """Return a StatusSummary to replace the engine's wording for this file's status, or None."""
        return None

    def on_accepted(self, application, actor):
        """Do what acceptance means for this procedure, inside the accept transaction."""

    def on_delivered(self, application, actor):
        """Do what delivery means (e.g. the new licence lands in the register)."""

    def output_context(self, application, output):
        """Return extra context (JSON-serialisable) for one of the procedure's PDFs."""
        return {}

    def valid_until(self, application, output, issued_at):
        if output.valid_days is None:
            return None
        # The day in France: just after midnight, Paris, the UTC date is still the day before.
        return timezone.localdate(issued_at) + datetime.timedelta(days=output.valid_days)
