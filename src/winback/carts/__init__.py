"""Carts: what a shopper has put aside, the trigger for abandoned-cart mail."""
