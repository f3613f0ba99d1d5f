-- Model deltas (docs/architecture.md, "Model deltas"): one row per (target variant, base
-- artifact) the server weighed. kept: the delta saved enough and its bytes are stored under
-- delta_sha256; otherwise only its size is recorded, so the same pair is not tried again.
create table variant_deltas (
    id                uuid primary key,
    target_variant_id uuid        not null references variants (id) on delete cascade,
    base_variant_id   uuid        not null references variants (id) on delete cascade,
    base_sha256       char(64)    not null,
    base_size         bigint      not null,
    delta_sha256      char(64)    references artifacts (sha256),
    delta_size        bigint      not null,
    target_size       bigint      not null,
    kept              boolean     not null,
    make_ms           bigint      not null,
    created_at        timestamptz not null,
    unique (target_variant_id, base_variant_id),
    check (kept = (delta_sha256 is not null))
);
create index variant_deltas_offer on variant_deltas (target_variant_id, base_sha256) where kept;
create index variant_deltas_artifact on variant_deltas (delta_sha256) where kept;

-- How the device's last deployment of a model got its bytes: rebuilt from a delta, or whole
-- after a delta offered could not be used (and why).
alter table deployment_statuses add column delivered_by_delta boolean not null default false;
alter table deployment_statuses add column delta_fallback_reason text;
