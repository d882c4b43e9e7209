-- The seed ladder_vocabulary is the one list of labels that must not leave the
-- warehouse: every rung and segment customer_segments assigns, and every rung, segment
-- and flag a treatment rule names, is in it under its kind.
with

vocabulary as (

    select * from {{ ref('ladder_vocabulary') }}

),

used as (

    select distinct 'rung' as kind, ladder_rung as term from {{ ref('customer_segments') }}
    union
    select distinct 'segment', value_segment from {{ ref('customer_segments') }}
    union
    select 'rung', ladder_rung from {{ ref('treatment_rules') }} where ladder_rung is not null
    union
    select 'segment', value_segment from {{ ref('treatment_rules') }}
    where value_segment is not null
    union
    select 'flag', flag from {{ ref('treatment_rules') }} where flag is not null

)

select used.kind, used.term
from used
where not exists (
    select 1 from vocabulary
    where vocabulary.kind = used.kind and vocabulary.term = used.term
)
