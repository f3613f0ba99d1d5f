-- Manual approval of new devices, and before/after snapshots in the audit log.

-- A device enrolled with a token (or under a server setting) that requires approval starts
-- 'pending': it may sync and report, but receives nothing until an operator approves it
-- ('active') or rejects it ('rejected', its credential refused from then on).
alter table devices drop constraint devices_status_check;
alter table devices add constraint devices_status_check
    check (status in ('pending', 'active', 'rejected', 'decommissioned'));
alter table devices add column approval_decided_at timestamptz;
alter table devices add column approval_decided_by text;

alter table enrollment_tokens add column require_approval boolean not null default false;

-- What the resource an API call changed looked like before and after it (JSON views, never
-- secrets); null where the call changed nothing or named no resource.
alter table audit_log add column before_state jsonb;
alter table audit_log add column after_state jsonb;
