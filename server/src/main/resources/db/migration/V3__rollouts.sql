-- Staged rollouts, per-device deployment history, and the inference health figures agents
-- report in heartbeats (the rollout health gates compare a new version with the old one).

create table rollouts (
    id            uuid primary key,
    name          text        not null,
    model_id      uuid        not null references models (id),
    version_id    uuid        not null references model_versions (id),
    selector      text        not null,
    state         text        not null check (state in
        ('created', 'scheduled', 'queued', 'running', 'paused', 'completed', 'aborted',
         'rolling_back', 'rolled_back')),
    -- why it is paused, stopped or queued, for operators
    state_reason  text,
    -- waves, thresholds and gates as validated at creation (RolloutPlan as JSON)
    plan          jsonb       not null,
    current_wave  integer     not null default 0,
    start_at      timestamptz,
    -- when an engine should look at it next; replicas claim due rows with SKIP LOCKED
    next_eval_at  timestamptz not null,
    created_by    text        not null,
    created_at    timestamptz not null,
    started_at    timestamptz,
    finished_at   timestamptz
);
create index rollouts_due on rollouts (next_eval_at)
    where state in ('scheduled', 'queued', 'running', 'rolling_back');
create index rollouts_model_state on rollouts (model_id, state);

create table rollout_waves (
    rollout_id  uuid        not null references rollouts (id),
    wave_index  integer     not null check (wave_index >= 0),
    -- devices placed in this wave when the rollout started (late joiners come on top)
    planned     integer     not null check (planned >= 0),
    state       text        not null check (state in
        ('waiting', 'awaiting_approval', 'running', 'succeeded', 'failed')),
    -- failures an operator accepted by resuming after a breach; the gate counts only new ones
    accepted_failures integer not null default 0,
    approved_at timestamptz,
    approved_by text,
    started_at  timestamptz,
    finished_at timestamptz,
    primary key (rollout_id, wave_index)
);

-- which wave each selected device is in (stable: fixed when the rollout starts), what it was
-- told, what it ran before, and the engine's verdict where it reached one
create table rollout_devices (
    rollout_id          uuid        not null references rollouts (id),
    device_id           uuid        not null references devices (id),
    model_id            uuid        not null references models (id),
    wave_index          integer     not null,
    hardware_class_id   text,
    assigned_at         timestamptz,
    generation          bigint,
    variant_id          uuid references variants (id),
    -- what the device's desired state held for this model before the rollout (null: nothing)
    previous_variant_id uuid references variants (id),
    -- 'skipped', 'failed' or 'rolled_back' once decided; null while the deployment decides
    outcome             text check (outcome in ('skipped', 'failed', 'rolled_back')),
    outcome_reason      text,
    -- false while the rollout may still change this device
    released            boolean     not null default false,
    primary key (rollout_id, device_id)
);
-- one running rollout per model per device, even when two replicas start rollouts at once
create unique index rollout_devices_one_running on rollout_devices (device_id, model_id) where not released;
create index rollout_devices_wave on rollout_devices (rollout_id, wave_index);

create table rollout_events (
    id          bigserial primary key,
    rollout_id  uuid        not null references rollouts (id),
    at          timestamptz not null,
    -- 'admin' for API calls, 'engine' for decisions the engine took
    actor       text        not null,
    type        text        not null,
    wave_index  integer,
    detail      text
);
create index rollout_events_rollout on rollout_events (rollout_id, id);

-- what each device was told to run and what it reported, and why it changed
create table deployment_history (
    id          bigserial primary key,
    device_id   uuid        not null references devices (id),
    model       text        not null,
    -- null when the model was taken off the device
    version     text,
    variant_id  uuid,
    generation  bigint      not null default 0,
    -- 'desired' (the server changed what it should run), 'active', 'failed' (the device said)
    kind        text        not null,
    -- 'assignment', 'rollout', 'rollback' for 'desired'; the reason for 'failed'
    cause       text,
    rollout_id  uuid,
    at          timestamptz not null
);
create index deployment_history_device on deployment_history (device_id, id);

-- inference figures per device, model and version, as the device's heartbeats last reported
create table device_model_health (
    device_id               uuid             not null references devices (id),
    model                   text             not null,
    version                 text             not null,
    variant_id              uuid,
    requests                bigint           not null check (requests >= 0),
    errors                  bigint           not null check (errors >= 0),
    p50_ms                  double precision not null default 0,
    p95_ms                  double precision not null default 0,
    execution_provider_used text,
    reported_at             timestamptz      not null,
    primary key (device_id, model, version)
);

-- a version withdrawn by an operator: no new assignment or rollout may use it
alter table model_versions
    add column revoked_at     timestamptz,
    add column revoked_reason text;
