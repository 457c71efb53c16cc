"""Dependencies are resolved one after another (no task group per request): same values, same errors."""

from __future__ import annotations

import pytest
from litestar import Litestar, get
from litestar._kwargs import kwargs_model
from litestar._kwargs.kwargs_model import KwargsModel
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException
from litestar.testing import AsyncTestClient

from jiadian.container import Container
from jiadian.entrypoints.http import dependency_resolution
from jiadian.entrypoints.http.app import create_app


def test_the_shop_resolves_its_dependencies_in_turn(memory: tuple[Container, object]) -> None:
    container, _state = memory
    create_app(container, prepare_database=False)
    assert KwargsModel.resolve_dependencies is dependency_resolution._resolve_in_turn


async def test_every_dependency_of_a_batch_is_resolved_and_the_first_error_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert dependency_resolution.resolve_in_turn()

    def no_task_group() -> None:
        raise AssertionError("a task group was opened to resolve dependencies")

    monkeypatch.setattr(kwargs_model, "create_task_group", no_task_group)
    order: list[str] = []

    async def one() -> int:
        order.append("one")
        return 1

    def two() -> int:
        order.append("two")
        return 2

    async def three(one: NamedDependency[int], two: NamedDependency[int]) -> int:
        order.append("three")
        return one + two

    async def refuse() -> int:
        raise NotAuthorizedException("no")

    @get("/sum", sync_to_thread=False)
    def total(
        one: NamedDependency[int], two: NamedDependency[int], three: NamedDependency[int]
    ) -> dict[str, int]:
        return {"sum": one + two + three}

    @get("/refused", sync_to_thread=False)
    def refused(one: NamedDependency[int], nobody: NamedDependency[int]) -> dict[str, int]:
        return {"never": nobody}

    app = Litestar(
        [total, refused],
        dependencies={
            "one": Provide(one),
            "two": Provide(two, sync_to_thread=False),
            "three": Provide(three),
            "nobody": Provide(refuse),
        },
    )
    async with AsyncTestClient(app) as client:
        assert (await client.get("/sum")).json() == {"sum": 6}
        assert sorted(order[:2]) == ["one", "two"]  # one batch, in the order Litestar keeps it
        assert order[2:] == ["three"]
        assert (await client.get("/refused")).status_code == 401
