-- Hardware benchmarking and variant matching: hardware classes, benchmark reports, what a
-- variant needs and costs, trials, and where a variant ran on another provider than planned.

-- Devices with the same hardware fingerprint (hash of the inference-relevant profile parts)
create table hardware_classes (
    id          text primary key,
    description text        not null,
    -- the fingerprinted parts, as they were hashed
    profile     jsonb       not null,
    simulated   boolean     not null,
    created_at  timestamptz not null
);

alter table devices
    add column hardware_class_id text references hardware_classes (id),
    -- the latest BenchmarkReport of the device, null until its first one arrived
    add column benchmark         jsonb;
create index devices_hardware_class on devices (hardware_class_id);

-- What a variant needs from a device ('' / [] / 0: no requirement), how accurate it is
-- relative to the reference variant, and what one inference costs (multiply-accumulates
-- estimated from the ONNX graph at upload, split by the benchmark kernel that measures them).
alter table variants
    add column arch               text             not null default '',
    add column required_cpu_flags jsonb            not null default '[]',
    add column min_memory_bytes   bigint           not null default 0 check (min_memory_bytes >= 0),
    add column accuracy           double precision check (accuracy > 0 and accuracy <= 2),
    add column matmul_macs        bigint           not null default 0 check (matmul_macs >= 0),
    add column conv_macs          bigint           not null default 0 check (conv_macs >= 0);
-- an int8/cpu build for x86 with VNNI and one for ARM with dotprod are two variants
alter table variants drop constraint variants_version_id_precision_execution_provider_key;
create unique index variants_build on variants
    (version_id, precision, execution_provider, arch, required_cpu_flags);

-- what a device's session really ran on, as reported with ACTIVE
alter table deployment_statuses add column execution_provider_used text;

create table trials (
    id           uuid primary key,
    version_id   uuid        not null references model_versions (id),
    runs         integer     not null check (runs > 0),
    requested_at timestamptz not null
);

-- one row per device asked (or not asked, with the reason) to run a trial
create table trial_devices (
    id                uuid primary key,
    trial_id          uuid        not null references trials (id),
    device_id         uuid        not null references devices (id),
    hardware_class_id text references hardware_classes (id),
    -- 'sent', 'reported', 'offline' (no open stream), 'skipped' (nothing it can run)
    state             text        not null,
    reason            text,
    updated_at        timestamptz not null,
    unique (trial_id, device_id)
);

-- one row per candidate variant sent to a device; figures arrive with its TrialReport
create table trial_results (
    id                      uuid primary key,
    trial_id                uuid        not null references trials (id),
    device_id               uuid        not null references devices (id),
    variant_id              uuid        not null references variants (id),
    hardware_class_id       text references hardware_classes (id),
    -- 'pending' (artifact fetchable by the device), 'measured', 'failed'
    state                   text        not null,
    load_ms                 bigint,
    runs                    integer,
    p50_ms                  double precision,
    p95_ms                  double precision,
    peak_memory_bytes       bigint,
    execution_provider_used text,
    error                   text,
    reason_code             text,
    reported_at             timestamptz,
    unique (trial_id, device_id, variant_id)
);
create index trial_results_class_variant on trial_results (hardware_class_id, variant_id);
create index trial_results_device_pending on trial_results (device_id) where state = 'pending';

-- a variant seen running on another execution provider than it was matched for
create table provider_mismatches (
    id                uuid primary key,
    device_id         uuid        not null references devices (id),
    hardware_class_id text references hardware_classes (id),
    variant_id        uuid        not null references variants (id),
    expected_provider text        not null,
    used_provider     text        not null,
    -- 'deployment' (ACTIVE progress) or 'trial'
    source            text        not null,
    observed_at       timestamptz not null,
    unique (device_id, variant_id, source)
);
create index provider_mismatches_class on provider_mismatches (hardware_class_id);
