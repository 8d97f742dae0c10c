"""Shoppers: customers, their consent, the suppression list, erasure and aggregates."""
