"""The exchange of a foreign licence for a French one."""


from licences import services
from licences.dates import as_date
from licences.enums import Code, IssuingZone
from licences.forms import ExchangeForm
from licences.procedures.base import RECEPISSE, SCAN, LicenceProcedure
from titles.procedures import EligibilityQuestion, Output, RequiredDocument, Step
from titles.registry import registry


@registry.register
class Exchange(LicenceProcedure):
    code = Code.EXCHANGE
    label = "Échange d'un permis de conduire étranger"
    description = ("Échangez contre un permis français le permis délivré par un autre pays. Délivré hors de l'Union "
                   "européenne, il n'est reconnu qu'un an après votre installation en France et doit être échangé "
                   "dans ce délai. Instruit par le CERT de Nantes, à qui vous envoyez ensuite les originaux.")
    order = 70
    motive_steps = (Step("permis-etranger", "Votre permis étranger", ExchangeForm),)
    extra_documents = (
        RequiredDocument("foreign_licence", "Permis étranger (recto et verso)", rules=SCAN),
        RequiredDocument("residence", "Justificatif de la date d'installation en France",
                         help_text="Titre de séjour ; pour un ressortissant européen, tout document qui date votre "
                         "installation (bail, contrat de travail…).", rules=SCAN),
        RequiredDocument("translation", "Traduction officielle du permis", required=False, rules=SCAN,
                         help_text="Par un traducteur agréé, si le permis n'est pas rédigé en français et a été "
                         "délivré hors de l'Union européenne."),
    )
    eligibility = (
        EligibilityQuestion(
            "zone", "Quel pays a délivré votre permis ?",
            choices=(("eu", "Un pays de l'UE ou de l'EEE, la Suisse ou Monaco"),
                     ("french_overseas", "La Polynésie française, la Nouvelle-Calédonie, Wallis-et-Futuna ou "
                                         "Saint-Pierre-et-Miquelon"),
                     ("other_recent", "Un autre pays, et je suis installé(e) en France depuis moins d'un an"),
                     ("other_student", "Un autre pays, et je réside en France en tant qu'étudiant(e)"),
                     ("other_late", "Un autre pays, et je suis installé(e) en France depuis plus d'un an")),
            redirect={"other_late": Code.INSCRIPTION},
            help_text="Passé un an, un permis délivré hors de l'UE n'est plus échangeable : il faut passer le "
            "permis français."),
        EligibilityQuestion(
            "valid", "Votre permis étranger est-il en cours de validité ?",
            unsupported={"no": "Un permis périmé, suspendu ou annulé ne peut pas être échangé. Écrivez au CERT de "
                               "Nantes (CERT EPE-PCI, 6 quai Ceineray, BP 33515, 44035 Nantes Cedex 1) pour étudier "
                               "votre situation."}),
    )
    requires = None
    expected_days = 60
    outputs = {"submit": (RECEPISSE, Output("bordereau-echange", "Bordereau d'envoi des originaux au CERT de Nantes",
                                            "licences/pdf/bordereau_echange.html"))}

    def extra_problems(self, application, licence):
        data = self.step_data(application)
        given = set(application.documents.filter(message__isnull=True).values_list("kind", flat=True))
        if data.get("zone") == IssuingZone.OTHER and not data.get("in_french") and "translation" not in given:
            return ["Votre permis a été délivré hors de l'Union européenne et n'est pas rédigé en français : ajoutez "
                    "sa traduction officielle."]
        return []

    def update_register(self, application, licence, today):
        data = self.step_data(application)
        for category in data.get("categories", []):
            # Exchanged categories keep their original date; a heavy one is valid 5 years from the exchange.
            services.set_category(licence, category, obtained_on=as_date(data["licence_issued_on"]),
                                  renewed_on=today)
