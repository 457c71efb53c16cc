"""Schema-driven fuzzing: every operation of the served OpenAPI document, anonymous and signed in.

Schemathesis reads `/schema/openapi.json` from the app itself and generates requests from it —
valid ones (positive) and ones that break the schema (negative) — sent in-process to the ASGI app
(no network) over a migrated SQLite database holding the demo catalogue. Every answer must be no 5xx,
a documented status code, of the documented content type, with a body that matches the documented
schema; every request that breaks the schema must be refused with a 4xx.

The run is bounded and repeatable: `EXAMPLES` examples per operation, role and mode, derandomised
(the same cases every run), no shrinking, no example database. The number of cases is printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from dependency_injector import providers
from hypothesis import HealthCheck, Phase, Verbosity
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from jiadian.adapters.clock import FixedClock
from jiadian.container import build_container
from jiadian.entrypoints.http.app import create_app
from tests.conftest import settings_for
from tests.fakes.tasks import RecordingTaskQueue
from tests.security.support import PASSWORD, load_demo, make_user

EXAMPLES = int(os.environ.get("JIADIAN_FUZZ_EXAMPLES", "10"))
ROLES = ("anonymous", "shopper", "operator")
CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
CHECKS = {
    schemathesis.GenerationMode.POSITIVE: CONFORMANCE,
    schemathesis.GenerationMode.NEGATIVE: [*CONFORMANCE, negative_data_rejection],
}


@dataclass
class Fuzzed:
    cases: int = 0
    failures: list[str] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)


@dataclass
class Target:
    app: Any
    schema: Any
    clients: dict[str, asgi.ASGIClient]


def _signed_in(app: Any, username: str | None) -> asgi.ASGIClient:
    """A client of the app with the CSRF token echoed like the storefront does, signed in as `username`."""
    client = asgi.get_client(app)
    client.__enter__()
    assert client.get("/health").status_code == 200
    client.headers["x-csrftoken"] = client.cookies["csrftoken"]
    if username is not None:
        response = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.text
    return client


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path) -> Iterator[Target]:
    tmp = tmp_path_factory.mktemp("fuzz")
    shutil.copyfile(migrated_sqlite, tmp / "shop.sqlite3")
    settings = settings_for(tmp)

    async def seed() -> None:
        container = build_container(settings)
        await load_demo(container)
        await make_user(container, "fuzzer", balance="100000.00")
        await make_user(container, "operator", admin=True)
        await container.engine().dispose()

    asyncio.run(seed())
    container = build_container(settings)
    container.clock.override(providers.Object(FixedClock()))
    container.task_queue.override(providers.Object(RecordingTaskQueue()))
    app = create_app(container, prepare_database=False)
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app)
    clients = {
        "anonymous": _signed_in(app, None),
        "shopper": _signed_in(app, "fuzzer"),
        "operator": _signed_in(app, "operator"),
    }
    try:
        yield Target(app, schema, clients)
    finally:
        for client in clients.values():
            client.__exit__(None, None, None)
        asgi.shutdown_lifespans()  # the app's lifespan: background tasks stop, the engine is disposed


def _operations(schema: Any) -> list[Any]:
    operations = [result.ok() for result in schema.get_all_operations()]
    # Signing out ends the role's session: last, so every other operation runs signed in.
    return sorted(operations, key=lambda op: op.label == "POST /api/auth/logout")


def fuzz(operation: Any, mode: schemathesis.GenerationMode, client: asgi.ASGIClient, into: Fuzzed) -> None:
    @hypothesis.settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case) -> None:
        into.cases += 1
        response = case.call(session=client, allow_redirects=False)
        into.statuses[response.status_code] = into.statuses.get(response.status_code, 0) + 1
        checks = CHECKS[mode]
        if (case.media_type or "").startswith("multipart/"):
            # Every multipart field is text on the wire: a "null" or "{}" sent for a string is a string.
            checks = CONFORMANCE
        try:
            case.validate_response(response, checks=checks)
        except (Exception, BaseExceptionGroup) as failure:  # keep going: one report with every failure
            into.failures.append(f"{operation.label} [{mode.value}]: {failure}"[:3000])

    with contextlib.suppress(hypothesis.errors.Unsatisfiable):  # no negative data for some operations
        run()


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_every_operation_conforms_to_the_schema_under_fuzzing(target: Target, role: str) -> None:
    result = Fuzzed()
    operations = _operations(target.schema)
    assert len(operations) >= 50, [op.label for op in operations]
    for operation in operations:
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            fuzz(operation, mode, target.clients[role], result)
    print(
        f"\nfuzzed {result.cases} cases over {len(operations)} operations as {role}; "
        f"statuses {dict(sorted(result.statuses.items()))}"
    )
    if os.environ.get("JIADIAN_FUZZ_REPORT"):  # every failure in full, for a person to read
        Path(f"{os.environ['JIADIAN_FUZZ_REPORT']}.{role}.txt").write_text("\n\n".join(result.failures))
    assert result.cases >= len(operations) * 2
    assert not result.failures, f"{len(result.failures)} failures:\n\n" + "\n\n".join(result.failures[:15])
