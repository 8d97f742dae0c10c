from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from tests.conftest import LiveServer, StoreClient
from tests.intake.logbook import another_store


@pytest.fixture
def other_store(server: LiveServer, engine: Engine) -> Iterator[StoreClient]:
    client = another_store(server, engine)
    yield client
    client.http.close()
