"""Ladder: nightly customer-value warehouse."""
