-- A desired model the server pointed back at an older version on purpose (a rollout's
-- rollback): the signed desired state says so, and only then does an agent install an older
-- release of itself. Adding a column with a default rewrites no row.
alter table desired_models add column allow_downgrade boolean not null default false;
