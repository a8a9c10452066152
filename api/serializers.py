"""What the API says about files, events, documents, messages and mandates (read side), and what it takes in."""

from rest_framework import serializers

from titles.presentation import event_words, status_summary
from titles.registry import registry
from titles.services import missing_for_submission
from titles.workflow import Status


class FileSerializer(serializers.Serializer):
    reference = serializers.CharField(help_text="Référence du dossier, ex. « 2026-AB12CD ».")
    procedure = serializers.CharField(source="procedure_code", help_text="Code de la démarche, ex. « cession ».")
    procedure_label = serializers.CharField(help_text="Intitulé de la démarche.")
    status = serializers.ChoiceField(choices=Status.choices, help_text="État du dossier.")
    status_label = serializers.CharField(source="get_status_display", help_text="État, en français.")
    applicant = serializers.SerializerMethodField(help_text="Nom de la personne pour qui le dossier est déposé.")
    mandate = serializers.IntegerField(source="mandate_id", allow_null=True, help_text="Mandat utilisé.")
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    expected_decision_at = serializers.DateField(allow_null=True, help_text="Date de décision prévue.")

    def get_applicant(self, application) -> str:
        return application.applicant.get_full_name()


class FilePageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="Adresse de la page suivante (vide : dernière page).")
    previous = serializers.URLField(allow_null=True, help_text="Adresse de la page précédente.")
    results = FileSerializer(many=True)


class EventSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="Type d'événement (submit, take, request_info, accept…).")
    label = serializers.SerializerMethodField(help_text="Ce qui s'est passé, en français.")
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    actor_role = serializers.CharField(help_text="Qualité de l'auteur : applicant, filer, agent, system…")
    created_at = serializers.DateTimeField()

    def get_label(self, event) -> str:
        procedure = registry.get(event.application.procedure_code) if event.application.procedure_code in registry \
            else None
        return event_words(event, procedure)


class SummarySerializer(serializers.Serializer):
    label = serializers.CharField()
    detail = serializers.CharField()
    waiting_for = serializers.CharField(help_text="Qui doit agir : « vous » (l'organisation), le CERT, ou vide.")


class StepSerializer(serializers.Serializer):
    slug = serializers.CharField(help_text="Identifiant de l'étape, dans l'URL de remplissage.")
    label = serializers.CharField()


class FeeLineSerializer(serializers.Serializer):
    label = serializers.CharField()
    cents = serializers.IntegerField(help_text="Montant en centimes d'euro.")


class FileDetailSerializer(FileSerializer):
    summary = serializers.SerializerMethodField()
    steps = serializers.SerializerMethodField(help_text="Étapes du formulaire (brouillon).")
    missing = serializers.SerializerMethodField(help_text="Ce qui manque pour déposer (brouillon).")
    timeline = serializers.SerializerMethodField(help_text="Historique du dossier, du plus ancien au plus récent.")

    def get_summary(self, application) -> SummarySerializer:
        return SummarySerializer(status_summary(application)).data

    def get_steps(self, application) -> StepSerializer(many=True):
        procedure = registry.get(application.procedure_code)
        return [{"slug": step.slug, "label": step.label} for step in procedure.steps]

    def get_missing(self, application) -> list[str]:
        if application.status != Status.DRAFT:
            return []
        return [str(problem) for problem in missing_for_submission(application)]

    def get_timeline(self, application) -> EventSerializer(many=True):
        return EventSerializer(self.context["events"], many=True).data


class SubmittedFileSerializer(FileDetailSerializer):
    code_de_cession = serializers.CharField(required=False, help_text=(
        "Déclaration de cession seulement : le code de cession à remettre à l'acquéreur, donné une seule fois "
        "(et à une nouvelle requête avec le même Idempotency-Key), jamais par une lecture du dossier."))


class DocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    source = serializers.ChoiceField(choices=[("generated", "Produit par le portail"), ("uploaded", "Pièce jointe")])
    kind = serializers.CharField(help_text="Type : recepisse, cpi, accuse-cession, csa… ou la pièce jointe.")
    label = serializers.CharField()
    ready = serializers.BooleanField(help_text="Un document produit est disponible (sinon : en préparation).")
    created_at = serializers.DateTimeField()
    download = serializers.CharField(allow_null=True, help_text="Adresse de téléchargement (droit « documents »).")


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    from_agent = serializers.BooleanField(help_text="Écrit par le centre d'instruction.")
    body = serializers.CharField()
    created_at = serializers.DateTimeField()


class MandateSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    citizen = serializers.SerializerMethodField(help_text="Nom de la personne ; avant sa confirmation, le nom que "
                                                          "l'organisation a indiqué.")
    procedures = serializers.ListField(child=serializers.CharField())
    consent_method = serializers.CharField()
    valid_from = serializers.DateTimeField()
    valid_until = serializers.DateTimeField()
    confirmed_at = serializers.DateTimeField(allow_null=True, help_text="Confirmé par la personne le (vide : en "
                                                                        "attente de sa confirmation).")
    revoked_at = serializers.DateTimeField(allow_null=True)

    def get_citizen(self, mandate) -> str:
        if mandate.confirmed_at is None:
            return mandate.declared_name
        return mandate.citizen.get_full_name()


# Input ----------------------------------------------------------------------------------------------------------


class FileFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices, required=False, help_text="Filtrer par état.")
    procedure = serializers.CharField(required=False, help_text="Filtrer par code de démarche.")
    created_after = serializers.DateField(required=False, help_text="Créés ce jour ou après (AAAA-MM-JJ).")
    created_before = serializers.DateField(required=False, help_text="Créés ce jour ou avant (AAAA-MM-JJ).")


class NewFileSerializer(serializers.Serializer):
    procedure = serializers.CharField(help_text="Code de la démarche : cession, changement-titulaire, "
                                                "permis-inscription…")
    mandate = serializers.IntegerField(help_text="Identifiant du mandat de la personne pour qui l'organisation "
                                                 "dépose (voir /api/v1/mandates/).")


class StepDataSerializer(serializers.Serializer):
    """The step's fields, as the web form names them (see the procedure's documentation)."""

    data = serializers.DictField(help_text="Les champs de l'étape, nommés comme dans le formulaire web.")


class UploadSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="Type de pièce demandé par la démarche (ex. « identity »).")
    file = serializers.FileField(help_text="JPEG, PNG ou PDF, contrôlé et ré-encodé comme sur le site.")


class PaymentSerializer(serializers.Serializer):
    timbre_number = serializers.CharField(required=False, help_text="Démarche payée par timbre (permis, "
                                          "passeport) : numéro d'un timbre fiscal déjà acheté ; absent : un timbre "
                                          "est acheté auprès de l'émetteur simulé du portail.")
    card_token = serializers.CharField(required=False, max_length=100, help_text="Démarche payée par carte "
                                       "(certificat d'immatriculation) : le jeton de carte du prestataire de "
                                       "paiement (jamais le numéro de carte). Jetons de test : `tok_visa` accepté, "
                                       "`tok_declined` refusé. Le paiement dépose le dossier.")


class PaymentResultSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=[("timbre", "Timbre fiscal"), ("card", "Carte bancaire")])
    amount_cents = serializers.IntegerField()
    timbre_number = serializers.CharField(required=False, help_text="Paiement par timbre.")
    card_last4 = serializers.CharField(required=False, help_text="Paiement par carte : ses 4 derniers chiffres.")
    payment_reference = serializers.CharField(required=False, help_text="Paiement par carte : la référence du "
                                              "prestataire de paiement.")
    status = serializers.CharField(help_text="Le statut du dossier après le paiement (`submitted` après une carte).")


class QuoteSerializer(serializers.Serializer):
    lines = FeeLineSerializer(many=True)
    total_cents = serializers.IntegerField()
    paid = serializers.BooleanField()


class AnswerSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=5000, help_text="La réponse à la demande de complément.")
    file = serializers.FileField(required=False, help_text="Une pièce jointe, facultative.")


class MandateRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(help_text="Adresse du compte du client sur le portail : il y reçoit la demande.")
    given_names = serializers.CharField(max_length=150)
    family_name = serializers.CharField(max_length=150)
    procedures = serializers.ListField(child=serializers.CharField(), allow_empty=False,
                                       help_text="Démarches confiées : cession, changement-titulaire…")
    months = serializers.ChoiceField(choices=[1, 6, 12], default=6, help_text="Durée du mandat, en mois.")


class StudentSerializer(serializers.Serializer):
    email = serializers.EmailField()
    given_names = serializers.CharField(max_length=150)
    family_name = serializers.CharField(max_length=150)
    birth_date = serializers.DateField()
    procedures = serializers.ListField(child=serializers.CharField(), help_text="Démarches confiées à l'école.")
    consent_method = serializers.ChoiceField(choices=[("electronic", "Électronique"), ("paper", "Papier")])
    months = serializers.ChoiceField(choices=[6, 12, 24], default=12)
    paper_kept = serializers.BooleanField(default=False, help_text="Mandat papier : l'école certifie le détenir.")
