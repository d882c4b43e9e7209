-- The whale curve's headline peak is exactly one percentile.
select count(*) as peaks
from {{ ref('whale_curve') }}
where is_peak
having count(*) <> 1
