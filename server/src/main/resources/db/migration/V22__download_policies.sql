-- Download policies (issue 18): when, how fast and how much a device may download. A policy
-- names one device or a label selector; the one for the device wins over selector ones, and
-- among selector ones the highest priority (then the newest) wins.
create table download_policies (
    id                    uuid primary key,
    name                  text        not null unique,
    device_id             uuid references devices (id),
    selector              text,
    priority              integer     not null default 0,
    -- "HH:MM-HH:MM" comma-separated; empty: all day.
    windows               text        not null default '',
    time_zone             text,
    rate_bytes_per_second bigint      not null default 0,
    daily_budget_bytes    bigint      not null default 0,
    metered_only          boolean     not null default false,
    created_at            timestamptz not null,
    updated_at            timestamptz not null,
    check ((device_id is null) <> (selector is null)),
    check (rate_bytes_per_second >= 0 and daily_budget_bytes >= 0)
);
create index download_policies_device on download_policies (device_id) where device_id is not null;

-- Until when a device said its download waits for its policy (window or budget): the wave's
-- timeout counts from there. Kept through later reports of the same generation.
alter table deployment_statuses add column waiting_until timestamptz;
