-- Quantized variants the server derives from an fp32 reference (issue 6): background jobs and
-- the measured figures of every derived variant, accepted or not.

create table derivation_jobs (
    id                uuid primary key,
    version_id        uuid        not null references model_versions (id),
    source_variant_id uuid        not null references variants (id),
    -- ["int8-dynamic", "fp16"], in the order they run
    kinds             jsonb       not null,
    accuracy_floor    double precision not null,
    -- the operator's validation samples and synthesis shapes, as sent; null: synthesized
    validation        jsonb,
    -- int8-static: the operator's calibration samples, method and percentile
    calibration       jsonb,
    state             text        not null check (state in ('queued', 'running', 'succeeded', 'failed')),
    step              text,
    percent           integer     not null default 0,
    error             text,
    -- claims so far; a job abandoned by dead servers this often is failed, not retried forever
    attempts          integer     not null default 0,
    -- the server instance running it and its last sign of life; a stale heartbeat frees the job
    owner             text,
    heartbeat_at      timestamptz,
    created_at        timestamptz not null,
    finished_at       timestamptz
);

create index derivation_jobs_claimable on derivation_jobs (created_at) where state in ('queued', 'running');

-- A model's standing request: every fp32 variant uploaded after the policy was set gets a job
-- with these kinds. policy_job marks such jobs; at most one per version, whichever replica
-- notices the upload first.
create table derivation_policies (
    model_id       uuid primary key references models (id),
    kinds          jsonb       not null,
    accuracy_floor double precision not null,
    validation     jsonb,
    created_at     timestamptz not null
);

alter table derivation_jobs add column policy_job boolean not null default false;
create unique index derivation_jobs_one_policy_job on derivation_jobs (version_id) where policy_job;

-- One row per job and kind. outcome: accepted (published and signed: variant_id set),
-- rejected (below the accuracy floor: figures kept, nothing published), failed (reason).
create table derived_variants (
    id                   uuid primary key,
    job_id               uuid        not null references derivation_jobs (id),
    kind                 text        not null,
    outcome              text        not null check (outcome in ('accepted', 'rejected', 'failed')),
    variant_id           uuid references variants (id),
    reason               text,
    size                 bigint,
    size_ratio           double precision,
    accuracy             double precision,
    latency_ms           double precision,
    reference_latency_ms double precision,
    -- per output: cosine similarity, max abs error, top-1 agreement
    figures              jsonb,
    -- operators converted and kept in float, each with the reason
    report               jsonb,
    created_at           timestamptz not null,
    unique (job_id, kind)
);
