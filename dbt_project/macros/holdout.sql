{#- Holdouts (docs/holdouts.md). A customer's draw in a treatment's experiment: the md5 of
    the salt, the treatment code and the customer id, its first 8 hex digits (32 bits)
    read as a fraction of 2^32, in [0, 1). The same customer and code give the same draw
    on every night and rerun, so a customer keeps their group while the treatment lasts;
    the code is hashed too, so the draws of one customer in two treatments are
    independent. The one place the assignment is computed. -#}
{% macro holdout_draw(customer_id, treatment_code) -%}
    (
        cast(
            cast(
                'x' || left(
                    md5(
                        {{ holdout_salt() }} || '|' || {{ treatment_code }} || '|'
                        || {{ customer_id }}
                    ),
                    8
                ) as bit(32)
            ) as bigint
        ) / 4294967296.0
    )
{%- endmacro %}

{#- Held out: the draw falls below the treatment's holdout_share (seed treatment_rules). -#}
{% macro is_holdout(customer_id, treatment_code, holdout_share) -%}
    ({{ holdout_draw(customer_id, treatment_code) }} < {{ holdout_share }})
{%- endmacro %}

{#- ladder.yml transform.holdout_salt as a SQL literal. `ladder` hands it to every dbt it
    runs (ladder.transform.dbt.settings_env); a dbt started without it stops here, never
    assigns with another salt. -#}
{% macro holdout_salt() -%}
    {%- set salt = env_var('LADDER_DBT_HOLDOUT_SALT', '') -%}
    {%- if execute and salt | trim == '' -%}
        {{ exceptions.raise_compiler_error(
            "LADDER_DBT_HOLDOUT_SALT is not set: it is ladder.yml's transform.holdout_salt,"
            ~ " which `ladder` passes to dbt; run dbt as `ladder dbt ...`"
        ) }}
    {%- endif -%}
    '{{ salt | replace("'", "''") }}'
{%- endmacro %}
