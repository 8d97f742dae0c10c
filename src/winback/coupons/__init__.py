"""Personalised coupon codes: winback makes a unique code, asks the store to create it
from one of its discount rules, and records every code it issued and whether it was used.
"""
