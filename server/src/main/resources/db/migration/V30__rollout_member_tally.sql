-- The rollout view's figures kept per member (issue 16). Before, every read of a rollout joined
-- each member with its device, deployment status and two health rows: 0.5-1 s of PostgreSQL time
-- with 50,000 members on an idle machine, 10-15 s on a busy one. Triggers keep here, in the
-- transaction that changes a member, deployment status or health row, what that join worked
-- out per member; the view groups this one narrow table (RolloutTally). Only "offline" is left to
-- the read: it depends on when the view is read, and it is counted from the devices not heard
-- from since then (few on a healthy fleet), through devices_last_seen.
create table rollout_member_tally (
    rollout_id      uuid             not null,
    device_id       uuid             not null,
    wave_index      integer          not null,
    -- DeviceProgress#state short of "offline": the engine's verdict, else what the device
    -- reported for this rollout's generation, else pending or waiting
    state           text             not null,
    outcome         text,
    reason          text,
    -- the device's health figures for the rollout's version (now) and the one it replaced (before)
    requests_now    bigint,
    errors_now      bigint,
    p95_now         double precision,
    requests_before bigint,
    errors_before   bigint,
    p95_before      double precision,
    primary key (rollout_id, device_id),
    foreign key (rollout_id, device_id) references rollout_devices (rollout_id, device_id)
        on delete cascade
);
-- the view's first devices with a problem, by wave then device
create index rollout_member_tally_problems on rollout_member_tally (rollout_id, wave_index, device_id)
    where state in ('failed', 'skipped', 'rolled_back') and reason is not null;
-- a changed deployment status or health row finds its device's memberships
create index rollout_devices_device on rollout_devices (device_id);
-- the view counts as offline the members of devices not heard from lately
create index devices_last_seen on devices (last_seen_at);

-- Works out the given members' rows again, in one statement, in key order (so that writers
-- touching the same members take their row locks in one order). Mirrors the per-device query the
-- engine reads (RolloutProgressQuery); RolloutTest holds both to the same figures.
create function rollout_tally_refresh(p_rollouts uuid[], p_devices uuid[]) returns void
language sql as $$
    insert into rollout_member_tally as t (rollout_id, device_id, wave_index, state, outcome,
        reason, requests_now, errors_now, p95_now, requests_before, errors_before, p95_before)
    select rd.rollout_id, rd.device_id, rd.wave_index, coalesce(rd.outcome, s.state), rd.outcome,
           coalesce(rd.outcome_reason, ds.reason_code || ': ' || ds.reason, ds.reason,
                    ds.reason_code),
           hn.requests, hn.errors, hn.p95_ms, hb.requests, hb.errors, hb.p95_ms
      from (select distinct k.rollout_id, k.device_id
              from unnest(p_rollouts, p_devices) as k(rollout_id, device_id)) k
      join rollout_devices rd on rd.rollout_id = k.rollout_id and rd.device_id = k.device_id
      join rollouts r on r.id = rd.rollout_id
      join models m on m.id = r.model_id
      join model_versions v on v.id = r.version_id
      left join deployment_statuses ds on ds.device_id = rd.device_id and ds.model = m.name
      left join device_model_health hn
             on hn.device_id = rd.device_id and hn.model = m.name and hn.version = v.version
      left join variants pv on pv.id = rd.previous_variant_id
      left join model_versions pmv on pmv.id = pv.version_id and pmv.version <> v.version
      left join device_model_health hb
             on hb.device_id = rd.device_id and hb.model = m.name and hb.version = pmv.version
      cross join lateral (
        select case
                 when rd.assigned_at is null then 'waiting'
                 when ds.version = v.version and rd.generation is not null
                      and coalesce(ds.generation, 0) >= rd.generation
                      and ds.state is not null
                      and ds.reason_code in ('waiting_window', 'waiting_budget')
                      then ds.reason_code
                 when ds.version = v.version and rd.generation is not null
                      and coalesce(ds.generation, 0) >= rd.generation
                      and ds.state is not null and ds.state <> 'unknown' then ds.state
                 else 'pending'
               end as state) s
     order by rd.rollout_id, rd.device_id
    on conflict (rollout_id, device_id) do update
       set wave_index = excluded.wave_index, state = excluded.state, outcome = excluded.outcome,
           reason = excluded.reason, requests_now = excluded.requests_now,
           errors_now = excluded.errors_now, p95_now = excluded.p95_now,
           requests_before = excluded.requests_before, errors_before = excluded.errors_before,
           p95_before = excluded.p95_before
     where (t.wave_index, t.state, t.outcome, t.reason, t.requests_now, t.errors_now, t.p95_now,
            t.requests_before, t.errors_before, t.p95_before)
           is distinct from
           (excluded.wave_index, excluded.state, excluded.outcome, excluded.reason,
            excluded.requests_now, excluded.errors_now, excluded.p95_now, excluded.requests_before,
            excluded.errors_before, excluded.p95_before)
$$;

-- Members: every inserted or updated row (the engine writes them in batches).
create function rollout_tally_members() returns trigger language plpgsql as $$
begin
    perform rollout_tally_refresh(array(select rollout_id from changed order by rollout_id, device_id),
                                  array(select device_id from changed order by rollout_id, device_id));
    return null;
end
$$;

create trigger rollout_tally_members_inserted after insert on rollout_devices
    referencing new table as changed for each statement execute function rollout_tally_members();
-- Only members whose figures can have changed: releasing a finished rollout's 50,000 members
-- (released = true) must not work them all out again.
create function rollout_tally_members_changed() returns trigger language plpgsql as $$
begin
    perform rollout_tally_refresh(array_agg(n.rollout_id order by n.rollout_id, n.device_id),
                                  array_agg(n.device_id order by n.rollout_id, n.device_id))
       from changed n
       join earlier o on o.rollout_id = n.rollout_id and o.device_id = n.device_id
      where (n.wave_index, n.assigned_at, n.generation, n.previous_variant_id, n.outcome,
             n.outcome_reason)
            is distinct from
            (o.wave_index, o.assigned_at, o.generation, o.previous_variant_id, o.outcome,
             o.outcome_reason);
    return null;
end
$$;

create trigger rollout_tally_members_updated after update on rollout_devices
    referencing old table as earlier new table as changed
    for each statement execute function rollout_tally_members_changed();

-- Deployment statuses and health rows: the memberships, in rollouts of the row's model, of the
-- devices whose row changed; the refresh writes only the members whose figures differ. Every
-- writer of these rows holds the device's row first (DeviceLocks; the heartbeat flush with SKIP
-- LOCKED), so tally rows are taken after it, in one order, as the rule asks.
create function rollout_tally_statuses() returns trigger language plpgsql as $$
begin
    perform rollout_tally_refresh(array_agg(rd.rollout_id order by rd.rollout_id, rd.device_id),
                                  array_agg(rd.device_id order by rd.rollout_id, rd.device_id))
       from (select distinct c.device_id, c.model from changed c) c
       join rollout_devices rd on rd.device_id = c.device_id
       join rollouts r on r.id = rd.rollout_id
       join models m on m.id = r.model_id and m.name = c.model;
    return null;
end
$$;

-- An update counts only where what the view shows can have changed: a report of bytes downloaded
-- (the most frequent write during a rollout) or a heartbeat with the same figures works out nothing.
create function rollout_tally_statuses_changed() returns trigger language plpgsql as $$
begin
    perform rollout_tally_refresh(array_agg(rd.rollout_id order by rd.rollout_id, rd.device_id),
                                  array_agg(rd.device_id order by rd.rollout_id, rd.device_id))
       from (select distinct n.device_id, n.model
               from changed n join earlier o on o.id = n.id
              where (n.device_id, n.model, n.version, n.generation, n.state, n.reason,
                     n.reason_code)
                    is distinct from
                    (o.device_id, o.model, o.version, o.generation, o.state, o.reason,
                     o.reason_code)) c
       join rollout_devices rd on rd.device_id = c.device_id
       join rollouts r on r.id = rd.rollout_id
       join models m on m.id = r.model_id and m.name = c.model;
    return null;
end
$$;

create function rollout_tally_health_changed() returns trigger language plpgsql as $$
begin
    perform rollout_tally_refresh(array_agg(rd.rollout_id order by rd.rollout_id, rd.device_id),
                                  array_agg(rd.device_id order by rd.rollout_id, rd.device_id))
       from (select distinct n.device_id, n.model
               from changed n
               join earlier o on o.device_id = n.device_id and o.model = n.model
                             and o.version = n.version
              where (n.requests, n.errors, n.p95_ms) is distinct from
                    (o.requests, o.errors, o.p95_ms)) c
       join rollout_devices rd on rd.device_id = c.device_id
       join rollouts r on r.id = rd.rollout_id
       join models m on m.id = r.model_id and m.name = c.model;
    return null;
end
$$;

create trigger rollout_tally_statuses_inserted after insert on deployment_statuses
    referencing new table as changed for each statement execute function rollout_tally_statuses();
create trigger rollout_tally_statuses_updated after update on deployment_statuses
    referencing old table as earlier new table as changed
    for each statement execute function rollout_tally_statuses_changed();
create trigger rollout_tally_statuses_deleted after delete on deployment_statuses
    referencing old table as changed for each statement execute function rollout_tally_statuses();
create trigger rollout_tally_health_inserted after insert on device_model_health
    referencing new table as changed for each statement execute function rollout_tally_statuses();
create trigger rollout_tally_health_updated after update on device_model_health
    referencing old table as earlier new table as changed
    for each statement execute function rollout_tally_health_changed();
create trigger rollout_tally_health_deleted after delete on device_model_health
    referencing old table as changed for each statement execute function rollout_tally_statuses();

-- the rollouts there are already
select rollout_tally_refresh(array_agg(rollout_id order by rollout_id, device_id),
                             array_agg(device_id order by rollout_id, device_id))
  from rollout_devices;
