from tests.intake.conftest import no_event_failed_to_apply, other_store

__all__ = ["no_event_failed_to_apply", "other_store"]
