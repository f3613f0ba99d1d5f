-- One device per public key (decommissioned devices aside, so that a machine decommissioned can
-- enroll again with its key). An Enroll retried after its reply was lost is answered with the
-- device the first attempt made (EnrollmentService, RetriedEnrollments); this index is what
-- guarantees that no race makes a second one.

-- Before, such a retry made a second device with the same key. The first one's credential went
-- out in the reply that was lost, so it was never heard from (last_seen_at still its enrolled_at):
-- decommission those, as an operator would, where the key's device that is in use (or the newest)
-- remains.
with orphans as (
    select d.id
      from devices d
     where d.status <> 'decommissioned'
       and (d.last_seen_at is null or d.last_seen_at = d.enrolled_at)
       and exists (
           select 1
             from devices s
            where s.public_key = d.public_key
              and s.id <> d.id
              and s.status <> 'decommissioned'
              and ((s.last_seen_at is not null and s.last_seen_at <> s.enrolled_at)
                   or (s.enrolled_at, s.id) > (d.enrolled_at, d.id)))
), retired as (
    update devices
       set status = 'decommissioned', decommissioned_at = now()
     where id in (select id from orphans)
    returning id
)
update device_certificates
   set revoked_at = now()
 where device_id in (select id from retired)
   and revoked_at is null;

-- Devices that were all heard from and share a key (a disk image cloned with its agent's state)
-- are not guessed about, and the upgrade does not stop on them: they keep working, marked
-- shared_key and left out of the index, so no new device can join them. Operators find them with
-- "select id, name from devices where shared_key and status <> 'decommissioned'" and decommission
-- all but one of each group (docs/operations.md, "Devices that share a key").
alter table devices add column shared_key boolean not null default false;

update devices
   set shared_key = true
 where status <> 'decommissioned'
   and public_key in (select public_key
                        from devices
                       where status <> 'decommissioned'
                       group by public_key
                      having count(*) > 1);

do $$
declare
    shared text;
begin
    select string_agg(ids, '; ')
      into shared
      from (select string_agg(id::text, ', ' order by enrolled_at) as ids
              from devices
             where shared_key and status <> 'decommissioned'
             group by public_key) groups;
    if shared is not null then
        raise warning using message =
            'devices in use share a public key (' || shared || '): they keep working, but'
            || ' decommission all but one of each group (docs/operations.md, "Devices that share'
            || ' a key")';
    end if;
end
$$;

create unique index devices_public_key on devices (public_key)
    where status <> 'decommissioned' and not shared_key;

-- The device, not decommissioned, that holds a public key, once no other enrollment of that key
-- is in flight: it waits on the key's advisory lock (held until that enrollment's transaction
-- ends), then looks. VOLATILE, so the lookup takes a snapshot of its own after the wait and sees
-- the device the enrollment it waited for committed. One round trip for both, on every Enroll.
create function device_key_holder(p_key bytea) returns uuid language plpgsql volatile as $$
begin
    perform pg_advisory_xact_lock(hashtext('device-key:' || encode(sha256(p_key), 'hex')));
    -- the newest, where devices from before this migration share the key (shared_key)
    return (select id from devices where public_key = p_key and status <> 'decommissioned'
             order by enrolled_at desc, id desc limit 1);
end
$$;
