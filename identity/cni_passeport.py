"""The CNI and the passeport together: one pré-demande, one appointment, one deposit at the mairie for both titles.

The same steps as each pré-demande; the motive is the same for both (a motive of the passeport only, the full visa
pages, is not offered). The timbre is the passeport's (its age band, its free modification), plus the CNI's 25 €
after a loss or a theft; the CNI is otherwise free. The pièces are those of both titles, each once. The mairie
registers one deposit, the CERT instructs one file: `PreDemande.kind` says both.
"""

from django.utils import timezone

from core.formats import euros
from identity.enums import LOSS_MOTIFS, TitleKind
from identity.forms import MotifForm
from identity.procedures import STEPS, PreDemandeProcedure
from identity.rules import Piece, as_date, fee_lines, pieces_to_bring
from titles.procedures import Step
from titles.registry import registry


class BothMotifForm(MotifForm):
    """The motive of both titles: one date of end of validity, the passeport's (it sets the passeport's fee)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.relabel("current_title_valid_until", label="Date de fin de validité du passeport actuel (ou de la carte "
                                                        "d'identité, si vous n'avez pas de passeport)",
                     help_text="Pour un renouvellement ou un changement d'état civil ou d'adresse. Un passeport "
                               "encore valable plus d'un an est modifié gratuitement.")


@registry.register
class CniPasseportPreDemande(PreDemandeProcedure):
    code = "cni-passeport-pre-demande"
    kind = TitleKind.BOTH
    label = "Pré-demande de carte d'identité et de passeport (les deux à la fois)"
    description = (
        "Vous avez besoin des deux titres : une seule pré-demande, un seul rendez-vous dans une mairie équipée d'un "
        "dispositif de recueil, où la mairie enregistre les deux demandes en une fois. Le timbre fiscal est celui du "
        "passeport ; la carte d'identité est gratuite, sauf après une perte ou un vol (25 €)."
    )
    order = 15
    steps = (Step("motif", "Motif", BothMotifForm), *STEPS[1:])
    # The start page announces a timbre when fee_cents is set; the amount due is computed by `fee_lines`.
    fee_cents = 8600

    @property
    def fee_display(self):
        return ("le timbre du passeport (86 € pour un majeur, 42 € de 15 à 17 ans, 17 € avant 15 ans) ; la carte "
                "d'identité est gratuite, sauf après une perte ou un vol (25 €)")

    def fee_lines(self, application):
        motif = self.step_data(application, "motif")
        common = {
            "motif": motif.get("motif"),
            "birth_date": self.holder_birth_date(application),
            "current_title_valid_until": as_date(motif.get("current_title_valid_until")),
            "today": self.today(),
            "departement": self.departement(application),
        }
        return fee_lines(TitleKind.PASSEPORT, **common) + fee_lines(TitleKind.CNI, **common)

    @staticmethod
    def today():
        return timezone.localdate()

    def pieces(self, application):
        """Return the pièces of both titles, each once; the current titles are both asked for."""
        fee_cents = self.fee_total(application) if application.is_draft else application.fee_cents
        current = as_date(self.step_data(application, "motif").get("current_title_valid_until"))
        # The day the pré-demande was filed (today for a draft): the pièces do not change while it waits.
        day = timezone.localdate(application.submitted_at) if application.submitted_at else self.today()
        pieces = {}
        for kind in (TitleKind.PASSEPORT, TitleKind.CNI):
            for piece in pieces_to_bring(kind, motif=self.motif(application), is_minor=self.is_for_child(application),
                                         fee_cents=fee_cents, current_title_valid_until=current, today=day):
                pieces.setdefault(piece.code, piece)
        if "ancien_titre" in pieces:
            pieces["ancien_titre"] = Piece("ancien_titre", "La carte d'identité et le passeport actuels (celui des "
                                                           "deux que vous avez, si vous n'en avez qu'un)")
        # A first passeport asks for the CNI one has: here the CNI is asked for at the same time.
        pieces.pop("cni", None)
        return list(pieces.values())

    def summary_lines(self, application):
        lines = super().summary_lines(application)
        motif = self.step_data(application, "motif").get("motif")
        passeport = sum(line.cents for line in fee_lines(
            TitleKind.PASSEPORT, motif=motif, birth_date=self.holder_birth_date(application),
            current_title_valid_until=as_date(self.step_data(application, "motif").get("current_title_valid_until")),
            today=self.today(), departement=self.departement(application)))
        lines.insert(1, ("Passeport", f"timbre fiscal de {euros(passeport)}" if passeport else "gratuit"))
        lines.insert(2, ("Carte d'identité", "timbre fiscal de 25 € (perte ou vol)" if motif in LOSS_MOTIFS
                         else "gratuite"))
        return lines
