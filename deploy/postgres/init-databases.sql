-- Runs once, when the postgres container initialises an empty data volume (the official
-- image runs /docker-entrypoint-initdb.d/*.sql with psql as POSTGRES_USER, connected to
-- POSTGRES_DB, which compose sets to `airflow`: the Airflow metadata database).
-- On an existing volume this file is NOT run again; apply it by hand with psql if needed.
--
-- The warehouse gets its own database so that BI users can be given access to it without
-- being able to connect to Airflow's metadata (which holds connection secrets).

CREATE DATABASE warehouse;

-- Nobody but the owner connects to the Airflow metadata database.
DO $$
BEGIN
    EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM PUBLIC', current_database());
END
$$;

-- A group role for read-only consumers (BI tools, analysts). Give a login role membership
-- instead of passwords here: this file is committed. See the README, "Deploying with
-- docker compose".
CREATE ROLE ladder_reader NOLOGIN;
GRANT CONNECT ON DATABASE warehouse TO ladder_reader;

\connect warehouse

-- Ladder's schemas and tables are created later, by dbt and the pipelines, as the
-- POSTGRES_USER role that runs this script (AIRFLOW_CONN_LADDER_WAREHOUSE logs in as it).
-- Default privileges make everything it creates readable by ladder_reader without
-- re-granting after every deployment.
ALTER DEFAULT PRIVILEGES GRANT USAGE ON SCHEMAS TO ladder_reader;
ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO ladder_reader;
