"""docker/compose.yaml stays true to the settings (no container engine runs here: the file is read).

Every `JIADIAN_*` variable it sets is a setting, and its values parse as the shop would parse them; every
host the settings name (database, Redis, FastDFS trackers and front) is a service of the file, and every
service of the file is needed by the settings or by the shop's own services.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from jiadian.settings import ENV_PREFIX, Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker" / "compose.yaml"
# Variables of compose itself (read from the operator's .env for `${…}`), not settings of the shop.
COMPOSE_INPUTS = {"JIADIAN_HTTP_PORT", "JIADIAN_IMAGES_PORT", "JIADIAN_IMAGES_URL", "JIADIAN_LOAD_DEMO"}
_DEFAULTED = re.compile(r"\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}")


def interpolate(value: str) -> str:
    """What compose makes of `${NAME:-default}` with nothing in the environment."""
    return _DEFAULTED.sub(lambda m: m[2] or "", value).replace("$$", "$")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def environments(compose: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {
        name: {k: str(v) for k, v in (s.get("environment") or {}).items()}
        for name, s in compose["services"].items()
    }


def shop_services(compose: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The services that run the shop's image (app, worker, migrate)."""
    return {
        name: env for name, env in environments(compose).items() if any(k.startswith(ENV_PREFIX) for k in env)
    }


def test_every_jiadian_variable_is_a_setting(compose: dict[str, Any]) -> None:
    fields = {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields}
    text = COMPOSE.read_text(encoding="utf-8")
    named = set(re.findall(r"\b(JIADIAN_[A-Z0-9_]+)\b", text))
    unknown = named - fields - COMPOSE_INPUTS
    assert not unknown, f"docker/compose.yaml names variables that are not settings: {sorted(unknown)}"
    for service, env in shop_services(compose).items():
        for name in env:
            if name.startswith(ENV_PREFIX):
                assert name in fields or name in COMPOSE_INPUTS, (service, name)
    assert named >= COMPOSE_INPUTS, "a compose input is no longer used: drop it from COMPOSE_INPUTS"


def settings_of(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in [n for n in __import__("os").environ if n.startswith(ENV_PREFIX)]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        if name.startswith(ENV_PREFIX) and name not in COMPOSE_INPUTS:
            monkeypatch.setenv(name, interpolate(value))
    return Settings(_env_file=None)  # type: ignore[call-arg]


def test_the_values_parse_and_name_the_services_the_settings_need(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    services = set(compose["services"])
    needed: set[str] = set()
    shop = shop_services(compose)
    assert {"app", "worker", "migrate"} <= set(shop)
    for env in shop.values():
        settings = settings_of(env, monkeypatch)
        hosts = {urlsplit(settings.resolved_database_url).hostname}
        if settings.redis_url or settings.broker == "redis":
            assert settings.redis_url, "broker=redis needs a redis_url"
            hosts.add(urlsplit(settings.redis_url).hostname)
        if settings.broker == "rabbitmq":
            hosts.add(urlsplit(settings.rabbitmq_url).hostname)
        if settings.blob_store == "fastdfs":
            hosts |= {tracker.rpartition(":")[0] for tracker in settings.fastdfs_trackers}
            needed.add("fastdfs-http")  # serves the files at fastdfs_base_url
            needed.add("fastdfs-storage")  # the tracker hands out its address
        assert not settings.is_sqlite, "the production profile runs on MySQL"
        missing = {h for h in hosts if h not in services}
        assert not missing, f"the settings name hosts that are no service: {missing}"
        needed |= {h for h in hosts if h is not None}
    unused = services - needed - set(shop)
    assert not unused, f"services no setting needs: {sorted(unused)}"


def test_the_shop_waits_for_what_it_needs(compose: dict[str, Any]) -> None:
    for name in ("app", "worker"):
        depends = set(compose["services"][name]["depends_on"])
        assert {"mysql", "redis", "migrate"} <= depends, name
        assert (
            compose["services"][name]["depends_on"]["migrate"]["condition"]
            == "service_completed_successfully"
        )
