-- Quiet devices shadow on the validation set the operator supplied with the version: the desired
-- state names it (sha256 and size, fetched like an artifact) and how long the model must have had
-- no live request before the agent replays it.
alter table desired_models
    add column shadow_validation_sha256 text check (shadow_validation_sha256 ~ '^[0-9a-f]{64}$'),
    add column shadow_validation_size   bigint check (shadow_validation_size > 0),
    add column shadow_idle_seconds      integer check (shadow_idle_seconds >= 0);

-- how many of a device's compared samples came from the validation set rather than live requests
alter table shadow_figures
    add column validation_compared bigint not null default 0 check (validation_compared >= 0);
