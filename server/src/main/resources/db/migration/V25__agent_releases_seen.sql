-- Which agent release each device runs, the protocol revision it speaks and the config-version
-- of its configuration, as its Hello reports them (null/0: an agent from before it said so).
-- What an agent release needs around it (from its jar's manifest at upload), signed into its
-- manifest and read by the matcher: a device is not assigned a release it would refuse.
-- Adding columns with a default (or null) rewrites no row.
alter table devices add column agent_version text;
alter table devices add column agent_protocol integer not null default 0;
alter table devices add column agent_config_version integer not null default 0;
alter table variants add column min_protocol integer not null default 0;
alter table variants add column min_config_version integer not null default 0;
