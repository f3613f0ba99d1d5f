-- Shadow phases: a wave's devices first run the rollout's version as a shadow of the one they
-- serve (never answering a request with it), and the wave cuts over only on good evidence.

-- the candidate a device runs beside its serving variant, and how it samples and compares
alter table desired_models
    add column shadow_variant_id     uuid references variants (id),
    add column shadow_comparison     text,
    add column shadow_sample_rate    double precision check (shadow_sample_rate between 0 and 1),
    add column shadow_max_per_second integer check (shadow_max_per_second >= 0);

-- the latest aggregates a device reported for a candidate (heartbeats carry no input or output)
create table shadow_figures (
    device_id          uuid             not null references devices (id) on delete cascade,
    model              text             not null,
    candidate_version  text             not null,
    serving_version    text             not null,
    comparison         text             not null,
    compared           bigint           not null check (compared >= 0),
    candidate_failures bigint           not null check (candidate_failures >= 0),
    dropped            bigint           not null check (dropped >= 0),
    value              double precision not null,
    passes             boolean          not null,
    candidate_p50_ms   double precision not null,
    candidate_p95_ms   double precision not null,
    serving_p50_ms     double precision not null,
    serving_p95_ms     double precision not null,
    not_applicable     text             not null default '',
    updated_at         timestamptz      not null,
    primary key (device_id, model, candidate_version)
);

-- a wave in its shadow phase; when its devices were told to shadow; the phase's verdict
alter table rollout_waves drop constraint rollout_waves_state_check;
alter table rollout_waves add constraint rollout_waves_state_check check (state in
    ('waiting', 'awaiting_approval', 'shadowing', 'running', 'succeeded', 'failed'));
alter table rollout_waves
    add column shadow_started_at timestamptz,
    add column shadow_verdict    text;
alter table rollout_devices add column shadow_at timestamptz;
