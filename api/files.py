"""The organisation's files: list, detail with timeline, new draft, steps, documents, fees, payment, submission,
messages and answers. Every write calls the service the web page calls, with the same form or check."""

from django.db import IntegrityError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from api import compiled
from api import serializers as s
from api.base import ApiView
from api.docs import errors
from api.problems import Problem, form_errors
from titles import cards, filing, services
from titles.enums import DocumentStatus, PaymentMethod
from titles.models import GeneratedDocument, normalise_public_code
from titles.payments import get_issuer
from titles.registry import registry
from titles.uploads import UploadRejected, clean_upload, file_response
from titles.workflow import InvalidTransition, Status
from vehicles.formats import display_code


class FilePagination(CursorPagination):
    ordering = ("-created_at", "-pk")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def decode_cursor(self, request):
        """An unreadable cursor is the caller's bad input (400 naming `cursor`), not a missing resource (DRF: 404)."""
        try:
            return super().decode_cursor(request)
        except NotFound:
            message = "Curseur de page invalide : reprenez le lien « next » de la page précédente tel quel."
            raise Problem("validation", message, errors=[{"field": "cursor", "detail": message}]) from None


class FileMixin:
    def get_file(self, reference, *, draft=False):
        """Return the key's organisation's file by reference, or 404 (a foreign file does not exist here)."""
        application = get_object_or_404(
            self.files().select_related("applicant", "cert", "mandate"), reference=normalise_public_code(reference)
        )
        if draft and application.status != Status.DRAFT:
            raise Problem("transition-impossible", "Ce dossier est déposé : ses étapes, pièces et paiement ne "
                                                    "peuvent plus être modifiés.")
        return application


@extend_schema_view(
    get=extend_schema(
        summary="Lister les dossiers de l'organisation",
        description="Les dossiers déposés par l'organisation pour ses clients ou élèves sous mandat, du plus récent "
                    "au plus ancien, par pages (curseur `cursor` : suivez le lien `next`).",
        operation_id="files_list",
        parameters=[
            s.FileFilterSerializer,
            OpenApiParameter("cursor", str, description="Curseur de page (donné par le lien `next`)."),
            OpenApiParameter("page_size", int, description="Dossiers par page (50 ; 200 au plus)."),
        ],
        responses={200: s.FilePageSerializer, **errors(400, 401, 403)},
        tags=["Dossiers"],
    ),
    post=extend_schema(
        summary="Ouvrir un brouillon sous mandat",
        description="Ouvre un brouillon de la démarche pour la personne qui a donné le mandat (même contrôle que "
                    "« /demarches/<code>/?mandat=<id> » sur le site : mandat valide de l'organisation, démarche "
                    "couverte, organisation habilitée). Droit « file ».",
        request=s.NewFileSerializer,
        responses={201: s.FileDetailSerializer, **errors(400, 401, 403, 404, 422)},
        examples=[OpenApiExample("Déclaration de cession", value={"procedure": "cession", "mandate": 12},
                                 request_only=True)],
        tags=["Dossiers"],
    ),
)
class FileList(FileMixin, ApiView):
    pagination_class = FilePagination
    required_scopes = {"GET": "read", "POST": "file"}
    serializer_class = s.FileSerializer

    def get(self, request):
        filters = s.FileFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data
        files = self.files().select_related("applicant")
        if "status" in wanted:
            files = files.filter(status=wanted["status"])
        if "procedure" in wanted:
            files = files.filter(procedure_code=wanted["procedure"])
        if "created_after" in wanted:
            files = files.filter(created_at__date__gte=wanted["created_after"])
        if "created_before" in wanted:
            files = files.filter(created_at__date__lte=wanted["created_before"])
        page = self.paginate_queryset(files)
        return self.get_paginated_response(s.FileSerializer(page, many=True).data)

    def post(self, request):
        given = s.NewFileSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        code = given.validated_data["procedure"]
        if code not in registry:
            raise Problem("validation", "Démarche inconnue.",
                          errors=[{"field": "procedure", "detail": "Démarche inconnue."}])
        procedure = registry.get(code)
        mandate = self.filing_mandate(procedure, given.validated_data["mandate"])
        application = services.create_draft(
            procedure, applicant=mandate.citizen, filed_by=request.user, organisation=mandate.organisation,
            mandate=mandate,
        )
        application = self.get_file(application.reference)
        body = s.FileDetailSerializer(application, context={"events": []}).data
        return Response(body, status=status.HTTP_201_CREATED,
                        headers={"Location": reverse("api:file", kwargs={"reference": application.reference})})

    def filing_mandate(self, procedure, mandate_id):
        """The mandate the key's organisation files under: the web's own rule (`titles.filing.filing_mandate`),
        narrowed to the key's organisation."""
        try:
            mandate = filing.filing_mandate(self.request.user, procedure, mandate_id)
        except filing.FilingRefused as refused:
            if refused.code == filing.NOT_FOUND:
                raise Http404("Mandat introuvable") from None
            raise Problem("action-refusee", refused.reason) from None
        if mandate.organisation_id != self.organisation.pk:
            raise Http404("Mandat introuvable")
        return mandate


@extend_schema(
    summary="Lire un dossier et son historique",
    description="L'état du dossier, ce qu'il attend, ses étapes, ce qui manque pour le déposer et son historique.",
    responses={200: s.FileDetailSerializer, **errors(401, 403, 404)},
    tags=["Dossiers"],
)
class FileDetail(FileMixin, ApiView):
    serializer_class = s.FileDetailSerializer

    def get(self, request, reference):
        # The compiled fast path (api/compiled.py): one plain query for the file and what its summary reads, the
        # web's own filer rule checked on it, the timeline cached per file; the body equals FileDetailSerializer's.
        application = compiled.reachable_file(self.request.user, self.organisation, reference)
        if application is None:
            raise Http404("Dossier introuvable")
        return Response(compiled.file_detail(application))


@extend_schema(
    summary="Remplir une étape du brouillon",
    description="Enregistre une étape avec le formulaire et les contrôles du site ; les champs sont ceux du "
                "formulaire web de l'étape. Une erreur nomme le champ (`errors`). Droit « file ».",
    request=s.StepDataSerializer,
    responses={200: s.FileDetailSerializer, **errors(400, 401, 403, 404, 409)},
    examples=[OpenApiExample(
        "Étape « vehicule » d'une cession",
        value={"data": {"registration_number": "FB-731-GK", "numero_formule": "2018FB73140",
                        "family_name": "MASSON", "given_names": "GILLES"}},
        request_only=True)],
    tags=["Dépôt"],
)
class FileStep(FileMixin, ApiView):
    required_scopes = {"POST": "file"}
    serializer_class = s.StepDataSerializer

    def post(self, request, reference, slug):
        application = self.get_file(reference, draft=True)
        procedure = application.procedure
        step = next((step for step in procedure.steps if step.slug == slug), None)
        if step is None:
            raise Http404("Étape inconnue")
        given = s.StepDataSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        form = procedure.get_step_form(step, application, data=given.validated_data["data"])
        if not form.is_valid():
            raise Problem("validation", "Cette étape n'est pas valide : voyez « errors ».",
                          errors=form_errors(form))
        services.save_step(application, slug, form.cleaned_data, actor=request.user)
        return Response(s.FileDetailSerializer(self.get_file(reference), context={"events": []}).data)


@extend_schema_view(
    get=extend_schema(
        summary="Lister les documents du dossier",
        description="Les documents produits par le portail (récépissé, CPI, accusé, certificat de situation "
                    "administrative…) et les pièces jointes. L'exemplaire de l'accusé de cession qui imprime le code "
                    "de cession ne se télécharge que sur le site.",
        responses={200: s.DocumentSerializer(many=True), **errors(401, 403, 404)},
        tags=["Documents"],
    ),
    post=extend_schema(
        summary="Joindre une pièce au brouillon",
        description="Envoi multipart (`kind`, `file`) ; mêmes contrôles que le site : taille, type réel, pixels, "
                    "PDF sans contenu actif, image ré-encodée sans métadonnées. Droit « documents ».",
        request={"multipart/form-data": s.UploadSerializer},
        responses={201: s.DocumentSerializer, **errors(400, 401, 403, 404, 409)},
        tags=["Documents"],
    ),
)
class FileDocuments(FileMixin, ApiView):
    required_scopes = {"GET": "read", "POST": "documents"}
    serializer_class = s.DocumentSerializer

    def get(self, request, reference):
        application = self.get_file(reference)
        listed = [self.generated(application, document) for document in application.generated_documents.all()]
        listed += [self.uploaded(document) for document in application.documents.all()]
        return Response(s.DocumentSerializer(listed, many=True).data)

    def post(self, request, reference):
        application = self.get_file(reference, draft=True)
        given = s.UploadSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        kind = given.validated_data["kind"]
        required = next((d for d in application.procedure.documents if d.kind == kind), None)
        if required is None:
            raise Problem("validation", "Cette démarche ne demande pas cette pièce.",
                          errors=[{"field": "kind", "detail": "Cette démarche ne demande pas cette pièce."}])
        try:
            clean = clean_upload(given.validated_data["file"], required.rules)
        except UploadRejected as rejected:
            raise Problem("validation", rejected.messages[0],
                          errors=[{"field": "file", "detail": rejected.messages[0]}]) from None
        document = services.add_document(application, kind=kind, clean_file=clean, uploaded_by=request.user)
        return Response(s.DocumentSerializer(self.uploaded(document)).data, status=status.HTTP_201_CREATED)

    @staticmethod
    def generated(application, document):
        ready = document.status == DocumentStatus.READY and document.revoked_at is None
        return {"pk": document.pk, "source": "generated", "kind": document.kind, "label": document.label,
                "ready": ready, "created_at": document.issued_at,
                "download": reverse("api:document_download", kwargs={"reference": application.reference,
                                                                     "pk": document.pk}) if ready else None}

    @staticmethod
    def uploaded(document):
        return {"pk": document.pk, "source": "uploaded", "kind": document.kind, "label": document.original_name,
                "ready": True, "created_at": document.created_at, "download": None}


@extend_schema(
    summary="Télécharger un document produit",
    description="Le PDF (récépissé, CPI, accusé, certificat de situation administrative…). Droit « documents ».",
    responses={(200, "application/pdf"): OpenApiResponse(description="Le document PDF."), **errors(401, 403, 404)},
    tags=["Documents"],
)
class DocumentDownload(FileMixin, ApiView):
    required_scopes = {"GET": "documents"}

    def get(self, request, reference, pk):
        application = self.get_file(reference)
        document = get_object_or_404(GeneratedDocument, application=application, pk=pk,
                                     status=DocumentStatus.READY, revoked_at__isnull=True)
        return file_response(document.file, f"{document.kind}-{application.reference}.pdf", "application/pdf")


@extend_schema(
    summary="Devis : les frais de la démarche",
    description="Les lignes de frais (taxe régionale, taxe fixe, redevance d'acheminement…) et le total, calculés "
                "comme sur le site avec ce que le brouillon contient : à demander avant de payer et de déposer.",
    responses={200: s.QuoteSerializer, **errors(401, 403, 404)},
    tags=["Dépôt"],
)
class FileFees(FileMixin, ApiView):
    serializer_class = s.QuoteSerializer

    def get(self, request, reference):
        application = self.get_file(reference)
        procedure = application.procedure
        lines = [{"label": line.label, "cents": line.cents} for line in procedure.fee_lines(application)]
        return Response(s.QuoteSerializer({"lines": lines, "total_cents": procedure.fee_total(application),
                                           "paid": services.is_paid(application)}).data)


@extend_schema(
    summary="Payer (timbre fiscal, ou carte bancaire qui dépose le dossier)",
    description="Démarche payée par timbre (permis, passeport) : sans `timbre_number`, achète le timbre auprès de "
                "l'émetteur simulé du portail (comme le bouton « Acheter » du site) puis l'enregistre ; avec, vérifie "
                "ce timbre ; le dépôt se fait ensuite (`submit`).\n\n"
                "Démarche payée par carte (certificat d'immatriculation : taxes Y1, Y2, Y4, Y5…) : `card_token`, le "
                "jeton de carte du prestataire de paiement, est débité du total du devis (`fees`) et le dossier est "
                "déposé dans le même acte (payé ⇒ déposé). Un second appel sur un dossier déjà payé par carte ne "
                "débite rien et rend le même paiement (200). Carte refusée : 402 `paiement-refuse`, rien n'est "
                "débité, le dossier reste un brouillon. Droit « file ».",
    request=s.PaymentSerializer,
    responses={201: s.PaymentResultSerializer, 200: s.PaymentResultSerializer,
               **errors(400, 401, 402, 403, 404, 409, 422)},
    examples=[
        OpenApiExample("Carte de test acceptée (certificat d'immatriculation)", value={"card_token": "tok_visa"},
                       request_only=True),
        OpenApiExample("Carte de test refusée", value={"card_token": "tok_declined"}, request_only=True),
        OpenApiExample("Timbre fiscal déjà acheté (permis, passeport)", value={"timbre_number": "1234567890123456"},
                       request_only=True),
        OpenApiExample("Payé par carte et déposé", response_only=True, status_codes=["201"],
                       value={"method": "card", "amount_cents": 31376, "card_last4": "4242",
                              "payment_reference": "pay_3f9c2a7b1e4d5c6a7b8c9d0e", "status": "submitted"}),
    ],
    tags=["Dépôt"],
)
class FilePayment(FileMixin, ApiView):
    required_scopes = {"POST": "file"}
    serializer_class = s.PaymentSerializer

    def post(self, request, reference):
        application = self.get_file(reference)
        given = s.PaymentSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        if application.procedure.payment == PaymentMethod.CARD:
            return self.pay_by_card(application, given.validated_data)
        if application.status != Status.DRAFT:
            self.get_file(reference, draft=True)  # 409, as for any change to a filed file
        total = application.procedure.fee_total(application)
        if not total:
            raise Problem("action-refusee", "Cette démarche ne demande pas de timbre fiscal.")
        if services.is_paid(application):
            raise Problem("action-refusee", "Le timbre fiscal de ce dossier est déjà payé.")
        if "card_token" in given.validated_data:
            message = "Cette démarche se paie par timbre fiscal : donnez `timbre_number`, ou rien pour l'acheter."
            raise Problem("validation", message, errors=[{"field": "card_token", "detail": message}])
        issuer = get_issuer()
        number = given.validated_data.get("timbre_number") or issuer.buy(amount_cents=total, buyer=request.user)
        check = issuer.check(number, amount_cents=total)
        if not check.ok:
            raise Problem("validation", check.message, errors=[{"field": "timbre_number", "detail": check.message}])
        try:
            services.record_payment(application, timbre_number=number, amount_cents=check.amount_cents,
                                    issuer=issuer.name, actor=request.user)
        except IntegrityError:
            message = "Ce timbre fiscal a déjà été utilisé pour une autre démarche."
            raise Problem("validation", message, errors=[{"field": "timbre_number", "detail": message}]) from None
        return Response({"method": PaymentMethod.TIMBRE, "timbre_number": number, "amount_cents": check.amount_cents,
                         "status": application.status}, status=status.HTTP_201_CREATED)

    def pay_by_card(self, application, data):
        """Charge the card token and submit, in one act (`titles.cards.pay_by_card_and_submit`)."""
        token = data.get("card_token", "")
        if not token:
            message = "Cette démarche se paie par carte bancaire : donnez `card_token`, le jeton du prestataire."
            raise Problem("validation", message, errors=[{"field": "card_token", "detail": message}])
        if not application.procedure.fee_total(application):
            raise Problem("action-refusee", "Cette démarche est gratuite : déposez-la directement (`submit`).")
        try:
            result = cards.pay_by_card_and_submit(application, actor=self.request.user, token=token)
        except cards.CardDeclined as declined:
            raise Problem("paiement-refuse", declined.reason,
                          errors=[{"field": "card_token", "detail": declined.reason}]) from None
        except InvalidTransition as refusal:
            raise Problem("transition-impossible" if refusal.code == "state" else "action-refusee",
                          refusal.reason) from None
        payment = result.payment
        return Response({"method": PaymentMethod.CARD, "amount_cents": payment.amount_cents,
                         "card_last4": payment.card_last4, "payment_reference": payment.provider_reference,
                         "status": Status.SUBMITTED},
                        status=status.HTTP_201_CREATED if result.submitted else status.HTTP_200_OK)


@extend_schema(
    summary="Déposer le dossier",
    description="Dépose le brouillon complet (`missing` vide dans le détail). Le récépissé, puis les documents de "
                "la démarche (accusé, CPI…) apparaissent dans ses documents dès qu'ils sont produits. Le dépôt "
                "d'une déclaration de cession donne le code de cession (`code_de_cession`) dans cette réponse, une "
                "seule fois, comme le site : envoyez un `Idempotency-Key` pour pouvoir la redemander ; aucune "
                "lecture du dossier ne le redonne. Droit « file ».",
    request=None,
    responses={200: s.SubmittedFileSerializer, **errors(401, 403, 404, 409, 422)},
    tags=["Dépôt"],
)
class FileSubmit(FileMixin, ApiView):
    required_scopes = {"POST": "file"}
    serializer_class = s.SubmittedFileSerializer

    def post(self, request, reference):
        application = self.get_file(reference, draft=True)
        problems = services.missing_for_submission(application)
        if problems:
            raise Problem("action-refusee", " ".join(str(problem) for problem in problems))
        outcome = services.apply_transition(application, "submit", actor=request.user)
        body = s.FileDetailSerializer(self.get_file(reference), context={"events": []}).data
        code = outcome.facts.get("code_de_cession")
        if code:  # shown once, as on the web; kept sealed for a replay with the same Idempotency-Key
            body["code_de_cession"] = display_code(code)
        return Response(body)


@extend_schema_view(
    get=extend_schema(
        summary="Lire les messages du dossier",
        responses={200: s.MessageSerializer(many=True), **errors(401, 403, 404)},
        tags=["Messages"],
    ),
    post=extend_schema(
        summary="Répondre à une demande de complément",
        description="Quand le dossier attend un complément (`needs_info`) : la réponse, avec une pièce facultative "
                    "(multipart, mêmes contrôles que le site) ; le dossier retourne en instruction. Droit « file » "
                    "(et « documents » pour joindre une pièce).",
        request={"application/json": s.AnswerSerializer, "multipart/form-data": s.AnswerSerializer},
        responses={201: s.MessageSerializer, **errors(400, 401, 403, 404, 409)},
        tags=["Messages"],
    ),
)
class FileMessages(FileMixin, ApiView):
    required_scopes = {"GET": "read", "POST": "file"}
    serializer_class = s.MessageSerializer

    def get(self, request, reference):
        application = self.get_file(reference)
        return Response(s.MessageSerializer(application.messages.order_by("created_at", "pk"), many=True).data)

    def post(self, request, reference):
        application = self.get_file(reference)
        given = s.AnswerSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        files = []
        upload = given.validated_data.get("file")
        if upload is not None:
            if "documents" not in request.auth.scopes:
                raise Problem("droits-insuffisants", "Joindre une pièce demande le droit « documents ».")
            try:
                files.append(("complement", clean_upload(upload)))
            except UploadRejected as rejected:
                raise Problem("validation", rejected.messages[0],
                              errors=[{"field": "file", "detail": rejected.messages[0]}]) from None
        if application.status != Status.NEEDS_INFO:
            raise Problem("transition-impossible", "Ce dossier n'attend pas de complément.")
        outcome = services.answer_information_request(application, actor=request.user,
                                                      body=given.validated_data["body"], files=files)
        message = application.messages.get(pk=outcome.event.payload["message_id"])
        return Response(s.MessageSerializer(message).data, status=status.HTTP_201_CREATED)

