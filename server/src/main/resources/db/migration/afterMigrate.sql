-- Runs after every migration run (every start), as the schema's owner Flyway connects as
-- (quarkus.flyway.username). The server's own role (quarkus.datasource.username, passed in as
-- app_role) gets row access to every table and nothing more: it owns nothing, so it cannot
-- drop or alter a table or a trigger, and on audit_log it may only add and read rows. Granting
-- here rather than in a versioned migration covers tables later migrations add, and a renamed
-- role. Using the schema is granted where the roles are made (deploy/server/database.sql; the
-- PUBLIC default elsewhere). Nothing to do when both are one role (setups from before the split).
do $grants$
declare
    app text := '${app_role}';
begin
    if app = current_user then
        return;
    end if;
    -- replicas starting together would otherwise race on the same catalog rows
    perform pg_advisory_xact_lock(hashtext('modelfleet: grants to the application role'));
    execute format('grant select, insert, update, delete on all tables in schema %I to %I',
                   current_schema(), app);
    execute format('grant usage, select on all sequences in schema %I to %I', current_schema(), app);
    execute format('revoke update, delete, truncate, references, trigger on audit_log from %I', app);
    execute format('revoke all on flyway_schema_history from %I', app);
end
$grants$;
