-- Issue 17. A job whose kinds partly failed ends partially_succeeded (all failed: failed), and
-- each derived variant keeps its interleaved latency figures and the graph optimisation level
-- ONNX Runtime needed to load it.

alter table derivation_jobs drop constraint derivation_jobs_state_check;
alter table derivation_jobs add constraint derivation_jobs_state_check
    check (state in ('queued', 'running', 'succeeded', 'partially_succeeded', 'failed'));

-- median of per-round ratios variant / reference (variant and reference timed alternately in the
-- same rounds), the smallest and largest round's ratio, and how many rounds
alter table derived_variants
    add column latency_ratio      double precision,
    add column latency_ratio_min  double precision,
    add column latency_ratio_max  double precision,
    add column latency_rounds     integer,
    -- all (as devices load it), basic or disabled
    add column optimization_level text;
