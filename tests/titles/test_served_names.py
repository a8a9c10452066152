"""A stored file is served under a name that ends with the extension of its real type (issue 11, 2.9): the name the
citizen gave is a label, never what decides how a desktop opens the download."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tests.titles.conftest import complete_draft
from titles import services
from titles.uploads import clean_upload, download_name

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "content_type", "served"),
    [
        ("photo\u202egpj.exe", "image/jpeg", "photogpj.jpg"),  # shown as "photoexe.jpg" before the bidi is removed
        ("scan.pdf", "image/png", "scan.png"),
        ("facture", "application/pdf", "facture.pdf"),
        ("permis.JPEG", "image/jpeg", "permis.jpg"),
        ("archive.tar.gz", "application/pdf", "archive.tar.pdf"),
        (".exe", "image/jpeg", "exe.jpg"),
        ("", "image/png", "document.png"),
        ("x.exe", "application/octet-stream", "x"),
    ],
)
def test_download_name_takes_the_extension_of_the_real_type(name, content_type, served):
    assert download_name(name, content_type) == served


def png_named(name):
    buffer = io.BytesIO()
    Image.new("RGBA", (20, 20), (255, 0, 0, 128)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/x-msdownload")


def test_an_uploaded_file_comes_back_with_its_real_extension(procedure, citizen, client):
    application = complete_draft(procedure, citizen)
    document = services.add_document(
        application, kind="identity", clean_file=clean_upload(png_named("photo\u202egnp.exe")), uploaded_by=citizen
    )
    assert document.original_name == "photognp.exe"  # the label is kept as given, shown on the page
    client.force_login(citizen)
    response = client.get(
        reverse("titles:uploaded_file", kwargs={"reference": application.reference, "pk": document.pk})
    )
    b"".join(response.streaming_content)  # read, which closes the file (not response.close(): see test_permissions)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="photognp.png"'
    assert document.file.name.endswith(".png")
