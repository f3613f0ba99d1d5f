-- Issue 17. A derivation policy names comparators per model output and floors per kind, as a job
-- does; each policy job is created with them. Null (the columns' default) for the policies set
-- before: their jobs judge as they did, every output by its default at the single floor.
alter table derivation_policies
    add column comparators jsonb,
    add column floors      jsonb;
