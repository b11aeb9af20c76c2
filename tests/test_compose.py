"""docker-compose.yml: valid against the Compose Specification's JSON schema, and safe by default.

The schema is vendored in tests/data/compose/ (origin in its SOURCES.md). Where the
`docker compose` plugin exists, `docker compose config` checks the file as well.
"""

import json
import re
import shutil
import subprocess

import jsonschema
import pytest
import yaml

from tests.conftest import DATA, ROOT

COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def interpolate(text: str, env: dict) -> str:
    """Compose's variable substitution: ${X}, ${X:-default}, ${X:?error}; $$ is a dollar sign."""

    def one(match):
        name, operator, argument = match.groups()
        value = env.get(name, "")
        if operator in (":?", "?") and not value:
            raise KeyError(f"{name}: {argument}")
        if operator in (":-", "-") and not value:
            return argument
        return value

    return VARIABLE.sub(one, text.replace("$$", "\0")).replace("\0", "$")


def example_env() -> dict:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def filled_env() -> dict:
    return {**example_env(), "DJANGO_SECRET_KEY": "s" * 20 + "e" * 20 + "c" * 20 + "ret12", "POSTGRES_PASSWORD": "pg-password-1"}


def test_valid_against_the_compose_specification_schema():
    schema = json.loads((DATA / "compose" / "compose-spec.json").read_text())
    # Its $schema names draft 2019-09 by an address jsonschema does not know: name the draft here.
    validator = jsonschema.Draft201909Validator(schema)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(compose())]
    assert errors == []
    # The check can fail: an unknown key is an error.
    broken = compose()
    broken["services"]["web"]["restart_policy"] = "always"
    assert list(validator.iter_errors(broken))


def test_no_default_passwords_and_the_secrets_required():
    text = COMPOSE.read_text()
    for name, operator, _ in VARIABLE.findall(text):
        if any(word in name for word in ("PASSWORD", "SECRET")):
            assert operator in (":?", "") or (operator == ":-" and name == "DJANGO_SUPERUSER_PASSWORD"), name
    assert "${DJANGO_SECRET_KEY:?" in text and "${POSTGRES_PASSWORD:?" in text
    assert re.search(r"DJANGO_SUPERUSER_PASSWORD: \$\{DJANGO_SUPERUSER_PASSWORD:-\}", text)  # empty: generated
    with pytest.raises(KeyError, match="DJANGO_SECRET_KEY"):
        interpolate(text, {**filled_env(), "DJANGO_SECRET_KEY": ""})
    with pytest.raises(KeyError, match="POSTGRES_PASSWORD"):
        interpolate(text, {**filled_env(), "POSTGRES_PASSWORD": ""})


def test_resolved_file_is_safe_by_default():
    config = yaml.safe_load(interpolate(COMPOSE.read_text(), filled_env()))
    services = config["services"]
    app = services["web"]["environment"]
    assert app["DJANGO_ALLOWED_HOSTS"] == "jobsite.example.org" and "*" not in app["DJANGO_ALLOWED_HOSTS"]
    assert app["DJANGO_SECRET_KEY"] == filled_env()["DJANGO_SECRET_KEY"]
    assert "DJANGO_SUPERUSER_PASSWORD" not in app  # only the one-off migrate service sees it
    # Only web is published, on loopback unless JOBSITE_BIND says otherwise.
    published = {name: service.get("ports", []) for name, service in services.items() if service.get("ports")}
    assert published == {"web": ["127.0.0.1:8000:8000"]}
    assert "ports" not in services["postgres"] and "ports" not in services["redis"]
    other = yaml.safe_load(interpolate(COMPOSE.read_text(), {**filled_env(), "JOBSITE_BIND": "0.0.0.0"}))
    assert other["services"]["web"]["ports"] == ["0.0.0.0:8000:8000"]


def test_healthchecks_restart_policies_and_one_beat():
    services = compose()["services"]
    assert services["web"]["healthcheck"]["test"] == ["CMD", "python", "-m", "jobsite.healthcheck", "web"]
    assert "celery -A jobsite inspect ping" in services["worker"]["healthcheck"]["test"][1]
    assert services["beat"]["healthcheck"]["test"][:5] == ["CMD", "python", "-m", "jobsite.healthcheck", "beat"]
    for name in ("postgres", "redis"):
        assert services[name]["healthcheck"]["test"]
    for name in ("postgres", "redis", "web", "worker", "beat"):
        assert services[name]["restart"] == "unless-stopped", name
    beats = [name for name, service in services.items() if "beat" in (
        service["command"] if isinstance(service.get("command"), list) else str(service.get("command", "")).split()
    )]
    assert beats == ["beat"] and services["beat"].get("container_name")  # a container name cannot be scaled
    # Migrations finish before web, worker and beat start.
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert "migrate --no-input" in " ".join(services["migrate"]["command"])


def test_env_example_lists_every_variable():
    used = {name for name, _, _ in VARIABLE.findall(COMPOSE.read_text())} - {"COMPOSE_PROJECT_NAME"}
    assert sorted(used - set(example_env())) == []


@pytest.mark.skipif(
    shutil.which("docker") is None
    or subprocess.run(["docker", "compose", "version"], capture_output=True).returncode != 0,
    reason="no docker compose plugin here (the schema test above covers the file)",
)
def test_docker_compose_config_accepts_the_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{key}={value}\n" for key, value in filled_env().items()))
    done = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE), "--env-file", str(env_file), "config", "--quiet"],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
