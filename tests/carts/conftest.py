from tests.intake.conftest import other_store

__all__ = ["other_store"]
