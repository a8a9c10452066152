"""The README's API examples work end to end: the shell block of « API des professionnels » is run as written (only
the address of the live server put for http://127.0.0.1:8000) with bash and curl against a live server holding the
demo data, with the demo garage's key. It declares a cession (its code de cession comes back in the submission's
response), files the buyer's changement de titulaire with it, and the garage's webhook receiver (a local
http.server here) gets the signed status changes, verified with standardwebhooks' own verifier.

The test runs whatever the block says: when the block changes (e.g. the payment line), it tests the new block.

Not marked `dates`: the block runs in a subprocess on the real clock (its `date`, its python3), so the test is
skipped when the session travels to another day (tests/today.py); it depends on no particular day.
"""

import io
import os
import re
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings
from PIL import Image
from standardwebhooks import Webhook

from api.demo import DEMO_WEBHOOK
from api.models import WebhookEndpoint
from titles.models import Application
from vehicles.enums import CESSION, CHANGEMENT_TITULAIRE
from vehicles.models import Cession

README = Path(__file__).resolve().parents[2] / "README.md"
DEMO_ORIGIN = "http://127.0.0.1:8000"


def readme_block():
    """The README's shell block that uses the demo garage's key (the section « API des professionnels »)."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(), flags=re.S)
    (block,) = [block for block in blocks if "export KEY=demo-garage-api" in block]
    return block


class Receiver(BaseHTTPRequestHandler):
    received = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(({name.lower(): value for name, value in self.headers.items()}, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        """Quiet: the test reads what was received, not http.server's access log on stderr."""


@pytest.fixture
def receiver():
    Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def jpeg_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (600, 400), (200, 180, 160)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("bash") is None, reason="needs bash and curl")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_readme_curl_block_declares_a_cession_and_files_a_changement_de_titulaire(live_server, receiver,
                                                                                       tmp_path):
    if float(os.environ.get("PORTAL_TEST_CLOCK_OFFSET") or 0) > 60:
        pytest.skip("the session travels to another day; the README's shell runs on the real clock")
    with override_settings(DEBUG=True):  # the demo: demo data and a webhook receiver on the loopback
        call_command("demo_data", stdout=io.StringIO())
        organisation_code, _, _, secret = DEMO_WEBHOOK
        endpoint = WebhookEndpoint.objects.get(organisation__code=organisation_code)
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            url=f"http://127.0.0.1:{receiver.server_address[1]}/webhooks")
        for piece in ("identity", "proof_of_address", "driving_licence"):  # the client's scans the block sends
            (tmp_path / f"{piece}.jpg").write_bytes(jpeg_bytes())
        block = readme_block().replace(DEMO_ORIGIN, live_server.url)
        result = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", block], cwd=tmp_path, capture_output=True,
                                text=True, timeout=240, env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)})
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"

    # The cession of Patrick COLIN's car is declared, the buyer's changement de titulaire filed with its code.
    cession_file = Application.objects.get(procedure_code=CESSION, applicant__family_name="COLIN",
                                           status="submitted")
    cession = Cession.objects.get(application=cession_file)
    bought = Application.objects.get(procedure_code=CHANGEMENT_TITULAIRE, applicant__family_name="FAURE",
                                     status="submitted")
    assert cession.vehicle.registration_number == "GH-254-PR" and cession.used_by_application == bought
    assert bought.organisation.code == organisation_code
    assert {"cpi", "recepisse"} <= {d.kind for d in bought.generated_documents.all()}
    assert '"code_de_cession"' not in result.stdout  # the block keeps the code in a variable, prints no secret

    # The receiver got the status changes, signed per Standard Webhooks.
    verifier = Webhook(secret)
    delivered = [verifier.verify(body, headers) for headers, body in Receiver.received]
    changes = {(message["data"]["reference"], message["data"]["status"]) for message in delivered}
    assert (cession_file.reference, "submitted") in changes and (bought.reference, "submitted") in changes
    assert all(message["type"] == "file.status_changed" for message in delivered)
    assert all(message["data"]["url"].endswith(f"/api/v1/files/{message['data']['reference']}/")
               for message in delivered)
