-- Why a device could not run a shadow candidate at all (its download, verification or load
-- failed): the shadow gate fails the phase on it instead of waiting for figures that never come.
alter table shadow_figures add column load_failure text not null default '';
