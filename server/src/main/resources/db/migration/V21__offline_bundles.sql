-- Offline bundles (issue 18): what each bundle carried, for the audit log and device history.
create table bundles (
  id uuid primary key,
  created_by text not null,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  device_ids text not null,
  artifact_count integer not null,
  size_bytes bigint not null,
  index_sha256 text not null
);

-- The bundle a reported install came from (null: delivered over Sync).
alter table deployment_history add column bundle_id uuid;
