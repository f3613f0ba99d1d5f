-- The spine: enrollment, devices, models and their signed variants, desired state per device.

create table enrollment_tokens (
    id          uuid primary key,
    name        text        not null,
    labels      jsonb       not null default '{}',
    -- sha256 of the secret; the secret itself is shown once and never stored
    secret_hash char(64)    not null unique,
    expires_at  timestamptz not null,
    max_uses    integer     not null check (max_uses > 0),
    uses        integer     not null default 0 check (uses >= 0),
    revoked_at  timestamptz,
    created_at  timestamptz not null
);

create table devices (
    id                  uuid primary key,
    name                text        not null,
    labels              jsonb       not null default '{}',
    status              text        not null check (status in ('active', 'decommissioned')),
    public_key          bytea       not null,
    credential_hash     char(64)    not null,
    hardware            jsonb,
    installed           jsonb       not null default '[]',
    enrollment_token_id uuid references enrollment_tokens (id),
    enrolled_at         timestamptz not null,
    last_seen_at        timestamptz,
    decommissioned_at   timestamptz
);
create index devices_labels on devices using gin (labels);

create table models (
    id          uuid primary key,
    name        text        not null unique,
    description text,
    created_at  timestamptz not null
);

create table model_versions (
    id         uuid primary key,
    model_id   uuid        not null references models (id),
    version    text        not null,
    created_at timestamptz not null,
    unique (model_id, version)
);

create table artifacts (
    sha256     char(64) primary key,
    size       bigint      not null check (size > 0),
    created_at timestamptz not null
);

create table variants (
    id                 uuid primary key,
    version_id         uuid        not null references model_versions (id),
    precision          text        not null,
    execution_provider text        not null,
    artifact_sha256    char(64)    not null references artifacts (sha256),
    size               bigint      not null,
    inputs             jsonb       not null,
    outputs            jsonb       not null,
    -- the SignedEnvelope (VariantManifest, signed by a targets key) as sent to devices
    manifest           bytea       not null,
    created_at         timestamptz not null,
    unique (version_id, precision, execution_provider)
);

-- public halves only: private keys live in the key directory, never in the database
create table signing_keys (
    key_id     char(64) primary key,
    role       text        not null,
    algorithm  text        not null,
    public_key bytea       not null,
    created_at timestamptz not null
);

create table device_desired_states (
    device_id  uuid primary key references devices (id),
    generation bigint      not null check (generation > 0),
    -- the SignedEnvelope (DesiredState) exactly as pushed to the device
    document   bytea       not null,
    issued_at  timestamptz not null,
    expires_at timestamptz not null
);

create table desired_models (
    id         uuid primary key,
    device_id  uuid        not null references devices (id),
    model_id   uuid        not null references models (id),
    variant_id uuid        not null references variants (id),
    updated_at timestamptz not null,
    unique (device_id, model_id)
);

create table deployment_statuses (
    id          uuid primary key,
    device_id   uuid        not null references devices (id),
    model       text        not null,
    version     text,
    variant_id  uuid,
    generation  bigint      not null default 0,
    state       text        not null,
    reason      text,
    reason_code text,
    bytes_done  bigint      not null default 0,
    bytes_total bigint      not null default 0,
    updated_at  timestamptz not null,
    unique (device_id, model)
);
