{#- An e-mail address as the identity of a person (DESIGN §6): lower case, trimmed, the
    +tag removed from the local part (Ann+shop@Example.com is ann@example.com); null
    when empty. The suppression list and the self-referral rule match people by it. -#}
{% macro normalised_email(column) -%}
    nullif(regexp_replace(lower(trim({{ column }})), '\+[^@]*@', '@'), '')
{%- endmacro %}
