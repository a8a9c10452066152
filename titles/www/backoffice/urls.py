from django.urls import path

from titles.www.backoffice import views as backoffice

app_name = "backoffice"

# The CERT back office, mounted at /instruction/.
urlpatterns = [
    path("", backoffice.queue, name="queue"),
    path("lot/", backoffice.bulk, name="bulk"),
    path("dossiers/<str:reference>/", backoffice.file_detail, name="file"),
    path("dossiers/<str:reference>/actions/<slug:name>/", backoffice.transition, name="transition"),
    path("dossiers/<str:reference>/notes/", backoffice.annotate, name="annotate"),
    path("dossiers/<str:reference>/message/", backoffice.post_message, name="message"),
    path("dossiers/<str:reference>/pieces/<int:pk>/", backoffice.uploaded_file, name="uploaded_file"),
    path("dossiers/<str:reference>/documents/<int:pk>/", backoffice.generated_file, name="generated_file"),
]
