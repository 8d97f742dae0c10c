"""Orders and their line items; the source of shopper aggregates."""
