"""The operator API's bodies: each member once, each of its own type."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_operator_api import (
    ADMIN_TOKEN,
    admin_server,  # noqa: F401 (the fixture)
    new_store,
    operator,
    read_status,
)
from tests.conftest import LiveServer


def post_raw(server: LiveServer, path: str, raw: bytes, token: str = ADMIN_TOKEN) -> dict[str, Any]:
    """The status and the error of a POST of ``raw`` as JSON."""
    with operator(server, token) as client:
        response = client.post(path, content=raw, headers={"content-type": "application/json"})
    return {"status": response.status_code, "error": response.json().get("error")}


def test_a_grace_period_given_twice_is_refused_and_the_key_stays_as_it_was(
    admin_server: LiveServer,  # noqa: F811
) -> None:
    store = new_store(admin_server)

    answer = post_raw(
        admin_server,
        f"/admin/v1/stores/{store.store_id}/rotate-key",
        b'{"grace_hours": 0, "grace_hours": 24}',
    )

    assert answer["status"] == 400
    assert answer["error"]["pointer"] == "/grace_hours"
    assert answer["error"]["code"] == "repeated_member"
    # No rotation happened: the only key is still the one the store was made with.
    assert read_status(store, store.api_key) == 200


@pytest.mark.parametrize("hours", [b"true", b'"24"'])
def test_a_grace_period_that_is_no_number_is_refused(
    admin_server: LiveServer,  # noqa: F811
    hours: bytes,
) -> None:
    store = new_store(admin_server)

    answer = post_raw(
        admin_server,
        f"/admin/v1/stores/{store.store_id}/rotate-key",
        b'{"grace_hours": ' + hours + b"}",
    )

    assert answer["status"] == 400
    assert read_status(store, store.api_key) == 200


def test_a_store_named_twice_is_refused(admin_server: LiveServer) -> None:  # noqa: F811
    answer = post_raw(admin_server, "/admin/v1/stores", b'{"name": "A", "name": "B"}')

    assert answer["status"] == 400
    assert answer["error"]["pointer"] == "/name"


def test_without_the_token_the_body_is_not_looked_at(admin_server: LiveServer) -> None:  # noqa: F811
    answer = post_raw(
        admin_server, "/admin/v1/stores", b'{"name": "A", "name": "B"}', token="wrong"
    )

    assert answer["status"] == 401
