"""Intake: every event that reaches winback is checked, logged raw, then applied."""
