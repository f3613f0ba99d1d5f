-- Offline bundles for hardware classes (issue 18): which classes a bundle carried a state for,
-- comma-separated like device_ids; empty for a bundle of devices only.
alter table bundles add column hardware_classes text not null default '';
-- How many artifact bytes went as deltas or compressed copies instead of whole files.
alter table bundles add column delta_count integer not null default 0;
