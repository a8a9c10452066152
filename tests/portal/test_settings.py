import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PROD_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "e2Zq9!vR$uYtP0wLmN3sB7xC1aD5fG8hJ4kL6zX-Qw8rTy2uIo4pAs6dFg",
    "ALLOWED_HOSTS": "demarches.example",
    "DATABASE_URL": "sqlite:////tmp/portal-check.sqlite3",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "EMAIL_URL": "smtp+tls://user:secret@smtp.example:587",
}


def run_manage(*args, env):
    base = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG", "PYTHONPATH")}
    base["PORTAL_VAR_DIR"] = "/tmp/portal-settings-test-var"
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env, "DJANGO_SETTINGS_MODULE": "portal.settings.base"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_embedded_default_boots_with_no_environment():
    result = run_manage("check", env={})
    assert result.returncode == 0, result.stderr
    result = run_manage("diffsettings", "--all", env={})
    assert "sqlite3" in result.stdout
    assert "CELERY_TASK_ALWAYS_EAGER = True" in result.stdout
    assert "filebased.EmailBackend" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    env = {**PROD_ENV}
    del env["SECRET_KEY"]
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_check_deploy_passes_with_production_variables():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PROD_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    result = run_manage("diffsettings", "--all", env=PROD_ENV)
    assert "django_redis.cache.RedisCache" in result.stdout
    assert "CELERY_TASK_ALWAYS_EAGER = False" in result.stdout
    assert "smtp.EmailBackend" in result.stdout


def test_s3_storage_switches_on_with_its_settings():
    env = {**PROD_ENV, "AWS_STORAGE_BUCKET_NAME": "portal-files", "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9000"}
    result = run_manage("diffsettings", "--all", env=env)
    assert "storages.backends.s3.S3Storage" in result.stdout


def compose_environment(service):
    """The environment docker-compose.yml gives a service, its ${VAR:?…} placeholders filled as an operator would."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    environment = compose["services"][service]["environment"]
    filled = {"SECRET_KEY": PROD_ENV["SECRET_KEY"]}
    return {key: re.sub(r"\$\{(\w+)[^}]*\}", lambda m: filled[m.group(1)], str(value))
            for key, value in environment.items()}


def test_check_deploy_passes_with_the_environment_of_docker_compose():
    env = compose_environment("web")
    assert env["DEBUG"] == "false" and env["DATABASE_URL"].startswith("postgres://")
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    result = run_manage("diffsettings", "--all", env=env)
    assert "SECURE_SSL_REDIRECT = True" in result.stdout


def test_docker_compose_serves_the_portal_through_a_buffering_https_proxy():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert "ports" not in compose["services"]["web"]  # reached through the proxy only
    assert compose["services"]["proxy"]["ports"] == ["8000:80", "8443:443"]
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "proxy_request_buffering on;" in nginx and "proxy_set_header X-Forwarded-Proto $scheme;" in nginx
    assert compose_environment("web")["SITE_URL"] == "https://127.0.0.1:8443"


def test_the_proxy_certificate_is_made_once(tmp_path):
    result = subprocess.run([sys.executable, "deploy/selfsigned_cert.py", str(tmp_path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "written" in result.stdout
    assert (tmp_path / "cert.pem").read_text().startswith("-----BEGIN CERTIFICATE-----")
    again = subprocess.run([sys.executable, "deploy/selfsigned_cert.py", str(tmp_path)], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert "already there" in again.stdout


def make_run_commands(**variables):
    """The command lines `make run` would execute with these variables (a dry run: nothing is executed)."""
    if shutil.which("make") is None:
        pytest.skip("make absent")
    arguments = [f"{name}={value}" for name, value in variables.items()]
    result = subprocess.run(["make", "--dry-run", "--always-make", "run", *arguments], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, env={"PATH": os.environ["PATH"]})
    assert result.returncode == 0, result.stderr
    return [shlex.split(line) for line in result.stdout.splitlines() if "manage.py" in line]


def command_env(words):
    """Split `A=1 B=2 program args…` into its environment and its command."""
    env = {}
    while words and "=" in words[0] and not words[0].startswith("-"):
        name, value = words.pop(0).split("=", 1)
        env[name] = value
    return env, words


@pytest.mark.parametrize("port", ["8000", "8101"])
def test_make_run_gives_links_the_port_it_serves(port):
    commands = {words[words.index("manage.py") + 1]: words for words in make_run_commands(PORT=port)}
    env, command = command_env(commands["runserver"])
    assert command[-1] == f"127.0.0.1:{port}"
    # The demo data's e-mails and PDFs are made by demo_data itself (Celery runs in-process): same site.
    assert command_env(commands["demo_data"])[0] == env
    result = run_manage("shell", "-c", "from django.conf import settings; print(settings.SITE_URL)", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == f"http://127.0.0.1:{port}"


def test_make_run_keeps_a_site_url_given_by_the_operator():
    commands = {words[words.index("manage.py") + 1]: words for words in make_run_commands(PORT="8101")}
    assert command_env(commands["runserver"])[0]["SITE_URL"] == "http://127.0.0.1:8101"
    env = {"PATH": os.environ["PATH"], "SITE_URL": "https://demarches.example"}
    result = subprocess.run(["make", "--dry-run", "--always-make", "run", "PORT=8101"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, env=env)
    assert "SITE_URL=https://demarches.example " in result.stdout
