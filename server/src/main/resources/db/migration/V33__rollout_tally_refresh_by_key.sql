-- rollout_tally_refresh looks every row up by its key (issue 16), as V32 made the triggers do.
--
-- Profiled on the fleet benchmark (1,000 devices, pg_stat_statements): the refresh's insert was
-- the largest share of PostgreSQL's time in a rollout, 0.8 ms per device report. After its first
-- five calls a pooled connection plans it once for any argument (a generic plan), from statistics
-- that do not know yet the members a rollout has just added: that plan went from the rollout to
-- its members and read all of them (799 of 3,000 in LookupByDeviceTest) to find the one or two
-- it was asked for. Each join is now a lateral lookup by key with OFFSET 0, which the planner
-- cannot flatten into another join order, so the plan is right whatever the statistics say; and
-- with no plan left to choose, the refresh takes the generic plan from its first call instead of
-- planning the ten-table statement anew (about 10 ms) five times per connection. (Not so the
-- trigger functions: they join transition tables, whose size a generic plan could not know, and
-- a release updates 50,000 members at once.)
create or replace function rollout_tally_refresh(p_rollouts uuid[], p_devices uuid[]) returns void
language plpgsql as $$
begin
    if p_rollouts is null or cardinality(p_rollouts) = 0 then
        return;
    end if;
    insert into rollout_member_tally as t (rollout_id, device_id, wave_index, state, outcome,
        reason, requests_now, errors_now, p95_now, requests_before, errors_before, p95_before)
    select rd.rollout_id, rd.device_id, rd.wave_index, coalesce(rd.outcome, s.state), rd.outcome,
           coalesce(rd.outcome_reason, ds.reason_code || ': ' || ds.reason, ds.reason,
                    ds.reason_code),
           hn.requests, hn.errors, hn.p95_ms, hb.requests, hb.errors, hb.p95_ms
      from (select distinct k.rollout_id, k.device_id
              from unnest(p_rollouts, p_devices) as k(rollout_id, device_id)) k
      cross join lateral (select rd.* from rollout_devices rd
                           where rd.rollout_id = k.rollout_id and rd.device_id = k.device_id
                          offset 0) rd
      cross join lateral (select m.name as model, v.version
                            from rollouts r
                            join models m on m.id = r.model_id
                            join model_versions v on v.id = r.version_id
                           where r.id = rd.rollout_id
                          offset 0) r
      left join lateral (select ds.* from deployment_statuses ds
                          where ds.device_id = rd.device_id and ds.model = r.model
                         offset 0) ds on true
      left join lateral (select h.requests, h.errors, h.p95_ms from device_model_health h
                          where h.device_id = rd.device_id and h.model = r.model
                            and h.version = r.version
                         offset 0) hn on true
      left join lateral (select h.requests, h.errors, h.p95_ms
                           from variants pv
                           join model_versions pmv on pmv.id = pv.version_id
                           join device_model_health h
                                on h.device_id = rd.device_id and h.model = r.model
                               and h.version = pmv.version
                          where pv.id = rd.previous_variant_id and pmv.version <> r.version
                         offset 0) hb on true
      cross join lateral (
        select case
                 when rd.assigned_at is null then 'waiting'
                 when ds.version = r.version and rd.generation is not null
                      and coalesce(ds.generation, 0) >= rd.generation
                      and ds.state is not null
                      and ds.reason_code in ('waiting_window', 'waiting_budget')
                      then ds.reason_code
                 when ds.version = r.version and rd.generation is not null
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
            excluded.errors_before, excluded.p95_before);
end
$$;

alter function rollout_tally_refresh(uuid[], uuid[]) set plan_cache_mode = force_generic_plan;
