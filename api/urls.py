from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from api import docs, files, organisation
from api.views import not_found

app_name = "api"

urlpatterns = [
    path("files/", files.FileList.as_view(), name="files"),
    path("files/<str:reference>/", files.FileDetail.as_view(), name="file"),
    path("files/<str:reference>/steps/<slug:slug>/", files.FileStep.as_view(), name="file_step"),
    path("files/<str:reference>/documents/", files.FileDocuments.as_view(), name="file_documents"),
    path("files/<str:reference>/documents/<int:pk>/download/", files.DocumentDownload.as_view(),
         name="document_download"),
    path("files/<str:reference>/fees/", files.FileFees.as_view(), name="file_fees"),
    path("files/<str:reference>/payment/", files.FilePayment.as_view(), name="file_payment"),
    path("files/<str:reference>/submit/", files.FileSubmit.as_view(), name="file_submit"),
    path("files/<str:reference>/messages/", files.FileMessages.as_view(), name="file_messages"),
    path("mandates/", organisation.MandateList.as_view(), name="mandates"),
    path("students/", organisation.StudentEnrolment.as_view(), name="students"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("documentation/", docs.documentation, name="documentation"),
    path("problems/<slug:code>", docs.problem, name="problem"),
    re_path(r"^.*$", not_found),
]
