"""Running the dbt project against the resolved warehouse (DESIGN §1, transform and marts)."""

from ladder.transform.dbt import DBT_PROJECT, dbt_env, run_dbt

__all__ = ["DBT_PROJECT", "dbt_env", "run_dbt"]
