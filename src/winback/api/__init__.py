"""The read API (``/api/v1``): what winback knows, scoped to the caller's store."""
