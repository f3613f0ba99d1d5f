-- API clients with roles, and the append-only audit log of every change made through the API.

create table api_tokens (
    id           uuid primary key,
    name         text        not null unique,
    role         text        not null check (role in ('admin', 'operator', 'viewer')),
    -- sha256 of the secret; the secret itself is shown once and never stored
    secret_hash  char(64)    not null unique,
    created_at   timestamptz not null,
    created_by   text        not null,
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz
);

create table audit_log (
    id             bigserial primary key,
    at             timestamptz not null,
    -- null when the caller could not be authenticated
    actor          text,
    role           text,
    remote_address text,
    method         text        not null,
    path           text        not null,
    status         integer     not null,
    -- what the path names (its ids and names), and what the request created or changed
    target         text,
    resource_id    text,
    -- the JSON request body with secret fields removed, at most 8 KB
    request_body   jsonb,
    outcome        text        not null
);
create index audit_log_at on audit_log (at desc);
create index audit_log_actor_at on audit_log (actor, at desc);

-- Append-only: history cannot be rewritten through the application's database role. (An owner
-- or superuser can still drop the trigger; protecting against them needs a separate role.)
create function audit_log_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'audit_log is append-only: % is not allowed', tg_op
        using errcode = 'insufficient_privilege';
end;
$$;

create trigger audit_log_no_update_or_delete
    before update or delete on audit_log
    for each row execute function audit_log_append_only();

create trigger audit_log_no_truncate
    before truncate on audit_log
    for each statement execute function audit_log_append_only();
