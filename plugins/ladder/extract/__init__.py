"""Extraction with dlt: the sales database and the helpdesk API into the schema `raw`."""

import os

# dlt probes Airflow Variables for its secrets whenever Airflow is importable, on every
# configuration lookup. Ladder passes credentials explicitly (from connections), and
# outside a task the probe fails against an empty metadata database, loudly and slowly.
os.environ.setdefault("PROVIDERS__ENABLE_AIRFLOW_SECRETS", "false")
