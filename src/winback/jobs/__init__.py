"""Work that waits: feed schedules, imports. Runs on huey (SQLite embedded, Redis distributed)."""
