-- The web console (/console): cookie sessions of people who signed in with an API token, and the
-- heartbeat figures over time that the device page plots.

create table console_sessions (
    -- sha256 of the cookie's secret; the secret itself is only in the browser
    id_hash      char(64)    primary key,
    name         text        not null,
    role         text        not null check (role in ('admin', 'operator', 'viewer')),
    -- the API token signed in with; null for the configured admin token
    api_token_id uuid references api_tokens (id) on delete cascade,
    -- the synchronizer token every state-changing request must echo
    csrf_token   text        not null,
    created_at   timestamptz not null,
    expires_at   timestamptz not null
);
create index console_sessions_expiry on console_sessions (expires_at);

-- One sample per device, model version and minute of the figures device_model_health holds last:
-- the latency and error plots of the device page. A trigger, so that the heartbeat ingest stays
-- one statement per table and flush; samples older than 7 days are dropped as new ones arrive.
create table device_health_samples (
    device_id  uuid             not null references devices (id) on delete cascade,
    model      text             not null,
    version    text             not null,
    at         timestamptz      not null,
    requests   bigint           not null,
    errors     bigint           not null,
    p50_ms     double precision not null,
    p95_ms     double precision not null,
    primary key (device_id, model, version, at)
);

create function device_health_sample() returns trigger language plpgsql as $$
begin
    if not exists (select 1 from device_health_samples s
                   where s.device_id = new.device_id and s.model = new.model
                     and s.version = new.version and s.at > new.reported_at - interval '1 minute') then
        insert into device_health_samples (device_id, model, version, at, requests, errors, p50_ms, p95_ms)
        values (new.device_id, new.model, new.version, new.reported_at, new.requests, new.errors,
                new.p50_ms, new.p95_ms)
        on conflict do nothing;
        delete from device_health_samples s
        where s.device_id = new.device_id and s.model = new.model and s.version = new.version
          and s.at < new.reported_at - interval '7 days';
    end if;
    return null;
end
$$;

create trigger device_health_sample after insert or update on device_model_health
    for each row execute function device_health_sample();

-- the console's device list pages through the fleet in enrollment order
create index devices_enrollment_order on devices (enrolled_at, id);
