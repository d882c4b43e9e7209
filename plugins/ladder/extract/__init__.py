"""Extraction with dlt: the sales database and the helpdesk API into the schema `raw`."""
