"""The factory uvicorn imports in each worker process."""

from __future__ import annotations

import os

from fastapi import FastAPI

from winback.app import create_app
from winback.memory import tune_garbage_collection
from winback.supervise import Apart


def make_app() -> FastAPI:
    tune_garbage_collection()
    return create_app(
        apply_in_process=os.environ.get("WINBACK_APPLY_IN_PROCESS", "1") != "0",
        apart=Apart.from_environment(),
    )
