"""A real OpenID Connect provider on loopback standing in for FranceConnect (tests/oidc/fc-stub.mjs).

One stub process per signing algorithm and per pytest process (so per xdist worker), started on first use on a
port the system picks, and stopped at the end of the session.
"""

import json
import os
import secrets
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
STUB_SCRIPT = ROOT / "tests" / "oidc" / "fc-stub.mjs"
STARTUP_TIMEOUT = 20  # seconds

# The relying parties registered at the stub. "portal" is us; "other" is another service at the same provider.
CLIENT_IDS = ("portal", "other")


@dataclass
class FranceConnectStub:
    alg: str
    issuer: str
    discovery: dict
    client_secrets: dict = field(repr=False)
    process: subprocess.Popen = field(repr=False)

    def set_account(self, sub, claims=None, **options):
        """Set what the next logins typed as ``sub`` get: claims over the stub's defaults, ``acr`` (None: no acr),
        ``id_token`` ("none" or "HS256": the token endpoint re-encodes that person's ID token)."""
        response = requests.post(
            f"{self.issuer}/__test/account", json={"sub": sub, "claims": claims or {}, **options}, timeout=5
        )
        response.raise_for_status()


def _read_announcement(path):
    for line in path.read_text().splitlines():
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    return None


def _start_stub(alg, log_dir):
    client_secrets = {client_id: secrets.token_urlsafe(32) for client_id in CLIENT_IDS}
    env = {
        **os.environ,
        "PORT": "0",  # the system picks a free port: nothing to coordinate between xdist workers
        "ALG": alg,
        "EXIT_ON_STDIN_EOF": "1",  # our end of the pipe closes when this process dies, however it dies
        **{f"CLIENT_SECRET_{client_id.upper()}": secret for client_id, secret in client_secrets.items()},
    }
    stdout_path, stderr_path = log_dir / f"fc-stub-{alg}.out", log_dir / f"fc-stub-{alg}.err"
    with open(stdout_path, "wb") as stdout, open(stderr_path, "wb") as stderr:
        process = subprocess.Popen(  # noqa: S603
            [shutil.which("node"), str(STUB_SCRIPT)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=stdout,
            stderr=stderr,
        )
    deadline = time.monotonic() + STARTUP_TIMEOUT
    announcement = discovery = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        announcement = announcement or _read_announcement(stdout_path)
        if announcement:
            try:
                response = requests.get(f"{announcement['issuer']}/.well-known/openid-configuration", timeout=2)
                if response.status_code == 200:
                    discovery = response.json()
                    break
            except requests.ConnectionError:
                pass
        time.sleep(0.05)
    if discovery is None:
        _stop(process)
        pytest.fail(
            f"The FranceConnect stub ({alg}) did not start:\n{stdout_path.read_text()}\n{stderr_path.read_text()}",
            pytrace=False,
        )
    return FranceConnectStub(
        alg=alg, issuer=discovery["issuer"], discovery=discovery, client_secrets=client_secrets, process=process
    )


def _stop(process):
    process.stdin.close()
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def fc_stubs(tmp_path_factory):
    """Return ``get(alg)``: the stub signing with ``alg`` (ES256 or RS256), started on first use."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed: cannot start the loopback OpenID Connect provider")
    if not (ROOT / "node_modules" / "oidc-provider" / "package.json").exists():
        pytest.skip("node_modules/oidc-provider is missing (run `npm ci`): cannot start the loopback provider")
    log_dir = tmp_path_factory.mktemp("fc-stub")
    started = {}

    def get(alg="ES256"):
        if alg not in started:
            started[alg] = _start_stub(alg, log_dir)
        return started[alg]

    yield get
    for stub in started.values():
        _stop(stub.process)


@pytest.fixture(scope="session")
def fc_stub(fc_stubs):
    return fc_stubs("ES256")


def configure_franceconnect(settings, stub, client_id="portal"):
    """Point the portal at ``stub``, with the endpoints its discovery document gives."""
    discovery = stub.discovery
    settings.OIDC_RP_CLIENT_ID = client_id
    settings.OIDC_RP_CLIENT_SECRET = stub.client_secrets[client_id]
    settings.OIDC_OP_ISSUER = discovery["issuer"]
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = discovery["authorization_endpoint"]
    settings.OIDC_OP_TOKEN_ENDPOINT = discovery["token_endpoint"]
    settings.OIDC_OP_USER_ENDPOINT = discovery["userinfo_endpoint"]
    settings.OIDC_OP_JWKS_ENDPOINT = discovery["jwks_uri"]
    settings.OIDC_OP_LOGOUT_ENDPOINT = discovery["end_session_endpoint"]
    settings.OIDC_RP_SIGN_ALGO = stub.alg
    return stub


@pytest.fixture
def franceconnect(settings, fc_stub):
    """The portal configured for the ES256 stub (FranceConnect's usual algorithm); returns the stub."""
    return configure_franceconnect(settings, fc_stub)
