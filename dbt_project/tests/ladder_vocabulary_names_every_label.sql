-- The seed ladder_vocabulary is the one list of labels that must not leave the
-- warehouse: every rung and segment customer_segments assigns, and every rung, segment
-- and flag a treatment rule names, is in it under its kind.
with

vocabulary as (

    select * from {{ ref('ladder_vocabulary') }}

),

segments as (

    select * from {{ ref('customer_segments') }}

),

rules as (

    select * from {{ ref('treatment_rules') }}

),

used as (

    select
        'rung' as kind,
        ladder_rung as term
    from segments
    union
    select
        'segment' as kind,
        value_segment as term
    from segments
    union
    select
        'rung' as kind,
        ladder_rung as term
    from rules
    where ladder_rung is not null
    union
    select
        'segment' as kind,
        value_segment as term
    from rules
    where value_segment is not null
    union
    select
        'flag' as kind,
        flag as term
    from rules
    where flag is not null

)

select
    used.kind,
    used.term
from used
where not exists (
    select 1 from vocabulary
    where vocabulary.kind = used.kind and vocabulary.term = used.term
)
