-- The tally triggers that compare a statement's old and new rows (V30, V32) plan that comparison
-- for each statement, by its size (issue 16).
--
-- A trigger function's static query has no parameters, so PL/pgSQL plans it once per connection,
-- at its first run, with the sizes of that run's transition tables, and keeps that plan for good.
-- A pooled connection's first update of rollout_devices is one member (the engine's batches write
-- a row per statement), so the join of old and new rows became a nested loop; completing a
-- 50,000-device rollout then released its 50,000 members in one statement, compared 50,000 x
-- 50,000 rows and ran into the engine's transaction timeout, again at every retry (found on the
-- scale benchmark; 122 s for 50,000 rows in a bare table, 0.2 s planned for its size). A heartbeat
-- flush of thousands of health rows after a connection's first small one went the same way.
--
-- EXECUTE plans the statement anew at every run, with the sizes of this run's transition tables:
-- about 0.05 ms more for a one-row statement, measured on the scale benchmark's database. Same
-- statements, same results otherwise.
create or replace function rollout_tally_members_changed() returns trigger language plpgsql as $$
begin
    execute $q$
        select rollout_tally_refresh(array_agg(n.rollout_id order by n.rollout_id, n.device_id),
                                     array_agg(n.device_id order by n.rollout_id, n.device_id))
          from changed n
          join earlier o on o.rollout_id = n.rollout_id and o.device_id = n.device_id
         where (n.wave_index, n.assigned_at, n.generation, n.previous_variant_id, n.outcome,
                n.outcome_reason)
               is distinct from
               (o.wave_index, o.assigned_at, o.generation, o.previous_variant_id, o.outcome,
                o.outcome_reason)
    $q$;
    return null;
end
$$;

create or replace function rollout_tally_statuses_changed() returns trigger language plpgsql as $$
begin
    execute $q$
        select rollout_tally_refresh(array_agg(rd.rollout_id order by rd.rollout_id, rd.device_id),
                                     array_agg(rd.device_id order by rd.rollout_id, rd.device_id))
          from (select distinct n.device_id, n.model
                  from changed n join earlier o on o.id = n.id
                 where (n.device_id, n.model, n.version, n.generation, n.state, n.reason,
                        n.reason_code)
                       is distinct from
                       (o.device_id, o.model, o.version, o.generation, o.state, o.reason,
                        o.reason_code)) c
          cross join lateral (select rd.rollout_id, rd.device_id from rollout_devices rd
                               where rd.device_id = c.device_id offset 0) rd
          join rollouts r on r.id = rd.rollout_id
          join models m on m.id = r.model_id and m.name = c.model
    $q$;
    return null;
end
$$;

create or replace function rollout_tally_health_changed() returns trigger language plpgsql as $$
begin
    execute $q$
        select rollout_tally_refresh(array_agg(rd.rollout_id order by rd.rollout_id, rd.device_id),
                                     array_agg(rd.device_id order by rd.rollout_id, rd.device_id))
          from (select distinct n.device_id, n.model
                  from changed n
                  join earlier o on o.device_id = n.device_id and o.model = n.model
                                and o.version = n.version
                 where (n.requests, n.errors, n.p95_ms) is distinct from
                       (o.requests, o.errors, o.p95_ms)) c
          cross join lateral (select rd.rollout_id, rd.device_id from rollout_devices rd
                               where rd.device_id = c.device_id offset 0) rd
          join rollouts r on r.id = rd.rollout_id
          join models m on m.id = r.model_id and m.name = c.model
    $q$;
    return null;
end
$$;
