-- Indexes for the keyset pages of the admin API's lists (see docs/api.md#pagination): each list
-- orders by a unique key and reads "after the cursor", so each page is one index range scan.

create index devices_enrolled on devices (enrolled_at, id);
create index devices_status_enrolled on devices (status, enrolled_at, id);

create index rollouts_created on rollouts (created_at, id);
drop index rollout_devices_wave;
create index rollout_devices_wave on rollout_devices (rollout_id, wave_index, device_id);

drop index audit_log_at;
create index audit_log_at on audit_log (at, id);
drop index audit_log_actor_at;
create index audit_log_actor_at on audit_log (actor, at, id);

create index enrollment_tokens_created on enrollment_tokens (created_at, id);
create index api_tokens_created on api_tokens (created_at, id);
create index trials_version_requested on trials (version_id, requested_at, id);
create index derivation_jobs_version_created on derivation_jobs (version_id, created_at, id);
