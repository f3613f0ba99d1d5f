-- Whole-artifact compression on the wire (docs/architecture.md, "Model deltas"): one row per
-- variant the server weighed. kept: the zstd copy saved enough and its bytes are stored under
-- compressed_sha256; otherwise only its size is recorded, so the variant is not weighed again.
create table variant_compressions (
    variant_id        uuid primary key references variants (id) on delete cascade,
    encoding          text        not null,
    compressed_sha256 char(64)    references artifacts (sha256),
    compressed_size   bigint      not null,
    target_size       bigint      not null,
    kept              boolean     not null,
    make_ms           bigint      not null,
    created_at        timestamptz not null,
    check (kept = (compressed_sha256 is not null))
);
create index variant_compressions_artifact on variant_compressions (compressed_sha256) where kept;

-- How the device's last deployment of a model got its bytes: decompressed from the smaller copy,
-- or whole after a compressed copy offered could not be used (and why).
alter table deployment_statuses add column delivered_compressed boolean not null default false;
alter table deployment_statuses add column compressed_fallback_reason text;
