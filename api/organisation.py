"""The organisation's mandates, and a driving school's enrolment of a student (its request for a mandate, which
the student confirms as on the web)."""

from django.http import Http404, QueryDict
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.response import Response

from api import serializers as s
from api.base import ApiView
from api.docs import errors
from api.problems import Problem, form_errors
from licences import services as licences
from licences.enums import AUTO_ECOLE
from licences.forms import StudentMandateForm
from titles.models import Mandate
from vehicles import services as vehicles
from vehicles.enums import PRO_AUTO
from vehicles.forms import ProMandateForm


@extend_schema_view(
    get=extend_schema(
        summary="Lister les mandats de l'organisation",
        description="Les mandats reçus de ses clients ou élèves, en vigueur, en attente de confirmation, expirés ou "
                    "révoqués. Un dossier se dépose sous un mandat confirmé et en vigueur.",
        responses={200: s.MandateSerializer(many=True), **errors(401, 403)},
        tags=["Mandats"],
    ),
    post=extend_schema(
        summary="Demander un mandat à un client (professionnel de l'automobile)",
        description="Comme « Demander un mandat à un client » dans l'espace professionnel : le client reçoit un "
                    "courriel et confirme le mandat sur le site, après connexion ; jusque-là le mandat est en "
                    "attente (`confirmed_at` vide) et ne permet aucun dépôt. La réponse (201, même corps) est la "
                    "même que l'adresse ait ou non un compte sur le portail, pour ne pas le révéler : sans compte, "
                    "la personne reçoit une invitation à créer le sien (ou à se connecter avec FranceConnect) avec "
                    "cette adresse, puis à confirmer ; la demande attend ce compte jusqu'à son terme "
                    "(`valid_until`). Même formulaire et mêmes règles que le site. Les écoles de conduite "
                    "inscrivent leurs élèves par /api/v1/students/. Droit « file ».",
        request=s.MandateRequestSerializer,
        responses={201: OpenApiResponse(s.MandateSerializer, description="Demande enregistrée, en attente de la "
                                        "confirmation du client : même réponse que l'adresse ait un compte ou "
                                        "non."),
                   **errors(400, 401, 403, 404, 409, 422)},
        examples=[
            OpenApiExample("Demande de mandat", request_only=True, value={
                "email": "camille.roux@exemple.fr", "given_names": "Camille", "family_name": "ROUX",
                "procedures": ["changement-titulaire", "cession"], "months": 6}),
            OpenApiExample("Mandat en attente de confirmation", response_only=True, status_codes=["201"], value={
                "id": 31, "citizen": "Camille ROUX", "procedures": ["changement-titulaire", "cession"],
                "consent_method": "electronic", "valid_from": "2026-11-10T09:30:00+01:00",
                "valid_until": "2027-05-10T09:30:00+02:00", "confirmed_at": None, "revoked_at": None}),
        ],
        tags=["Mandats"],
    ),
)
class MandateList(ApiView):
    required_scopes = {"GET": "read", "POST": "file"}
    serializer_class = s.MandateSerializer

    def get(self, request):
        mandates = Mandate.objects.filter(organisation=self.organisation).select_related("citizen").order_by(
            "-created_at", "-pk")
        return Response(s.MandateSerializer(mandates, many=True).data)

    def post(self, request):
        if self.organisation.kind != PRO_AUTO:
            raise Http404("Réservé aux professionnels de l'automobile")
        given = s.MandateRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)  # the shape (a list is a list); the web form checks the rest
        form = ProMandateForm(_as_form_data(given.validated_data),
                              procedures=vehicles.mandate_procedures())
        if not form.is_valid():
            raise Problem("validation", "La demande de mandat n'est pas valide : voyez « errors ».",
                          errors=form_errors(form))
        cleaned = form.cleaned_data
        try:
            mandate = vehicles.request_mandate(
                self.organisation, staff=request.user, email=cleaned["email"], given_names=cleaned["given_names"],
                family_name=cleaned["family_name"], procedures=cleaned["procedures"], months=cleaned["months"],
            )
        except vehicles.MandateRequestRefused as refusal:
            raise Problem("action-refusee", refusal.reason) from None
        return Response(s.MandateSerializer(mandate).data, status=status.HTTP_201_CREATED)


def _as_form_data(data):
    """The serializer's values as the web form's POST data (a list as repeated values)."""
    form_data = QueryDict(mutable=True)
    for name, value in data.items():
        if isinstance(value, list):
            form_data.setlist(name, [str(item) for item in value])
        else:
            form_data[name] = str(value)
    return form_data


@extend_schema(
    summary="Inscrire un élève (école de conduite)",
    description="Demande le mandat de l'élève, comme « Nouvel élève » dans l'espace de l'école : mandat "
                "électronique (l'élève reçoit un courriel et confirme ; son compte est créé s'il n'en a pas) ou "
                "papier (l'école certifie le détenir, `paper_kept`). Même formulaire et mêmes règles que le site. "
                "Droit « file ».",
    request=s.StudentSerializer,
    responses={201: s.MandateSerializer, **errors(400, 401, 403, 404, 422)},
    examples=[OpenApiExample("Mandat électronique", request_only=True, value={
        "email": "lea.petit@exemple.fr", "given_names": "Léa", "family_name": "PETIT", "birth_date": "2007-03-14",
        "procedures": ["permis-inscription", "permis-fabrication"], "consent_method": "electronic", "months": 12})],
    tags=["Mandats"],
)
class StudentEnrolment(ApiView):
    required_scopes = {"POST": "file"}
    serializer_class = s.StudentSerializer

    def post(self, request):
        school = self.organisation
        if school.kind != AUTO_ECOLE:
            raise Http404("Réservé aux écoles de conduite")
        given = s.StudentSerializer(data=request.data)
        given.is_valid(raise_exception=True)  # the shape (a JSON number is no address); the web form checks the rest
        form = StudentMandateForm(_as_form_data(given.validated_data), procedures=licences.school_procedures())
        if not form.is_valid():
            raise Problem("validation", "L'inscription n'est pas valide : voyez « errors ».",
                          errors=form_errors(form))
        cleaned = form.cleaned_data
        try:
            mandate = licences.enrol_student(
                school, staff=request.user, email=cleaned["email"], given_names=cleaned["given_names"],
                family_name=cleaned["family_name"], birth_date=cleaned["birth_date"],
                procedures=cleaned["procedures"], consent_method=cleaned["consent_method"], months=cleaned["months"],
            )
        except licences.ActionRefused as refusal:
            raise Problem("action-refusee", refusal.reason) from None
        return Response(s.MandateSerializer(mandate).data, status=status.HTTP_201_CREATED)
