-- ModelFleet's PostgreSQL database and its two roles, for production. Run it once, as a superuser:
--
--   owner_password=$(openssl rand -hex 24) app_password=$(openssl rand -hex 24)
--   sudo -u postgres psql -v owner_password="$owner_password" -v app_password="$app_password" \
--     -f deploy/server/database.sql
--
-- then put the passwords in server.env: QUARKUS_FLYWAY_PASSWORD=$owner_password and
-- QUARKUS_DATASOURCE_PASSWORD=$app_password. Other names: -v database=... -v owner=... -v app=...
-- (defaults modelfleet, modelfleet_owner, modelfleet_app; then set QUARKUS_FLYWAY_USERNAME and
-- QUARKUS_DATASOURCE_USERNAME to match).
--
-- Another database for roles that exist already (a restore beside the original, on the same
-- PostgreSQL: docs/operations.md, "Restore"): -v existing_roles=true -v database=NAME, without
-- the passwords.
--
-- owner: owns the database and its schema. The server connects as it only to migrate
--        (QUARKUS_FLYWAY_USERNAME); after every migration it grants the app role row access
--        (server/src/main/resources/db/migration/afterMigrate.sql).
-- app:   the role the server runs as (QUARKUS_DATASOURCE_USERNAME). It reads and writes rows and
--        owns nothing, so it cannot drop or alter a table, nor the audit log's append-only
--        trigger; on audit_log it may only add and read rows. The server refuses to start as a
--        superuser or as a member of the owner role.
\set ON_ERROR_STOP on
\if :{?database}
\else
  \set database modelfleet
\endif
\if :{?owner}
\else
  \set owner modelfleet_owner
\endif
\if :{?app}
\else
  \set app modelfleet_app
\endif
\if :{?existing_roles}
\else
  \set existing_roles false
\endif
\if :existing_roles
\else
  \if :{?owner_password}
  \else
    do $$ begin raise exception 'pass -v owner_password=... (see the top of deploy/server/database.sql)'; end $$;
  \endif
  \if :{?app_password}
  \else
    do $$ begin raise exception 'pass -v app_password=... (see the top of deploy/server/database.sql)'; end $$;
  \endif
  create role :"owner" login password :'owner_password';
  create role :"app" login password :'app_password';
\endif
create database :"database" owner :"owner";
-- only these two roles may connect
revoke all on database :"database" from public;
grant connect on database :"database" to :"app";

\connect :"database"
-- The owner creates the tables; no other role may create anything in the schema (before
-- PostgreSQL 15 every role could create tables in public).
alter schema public owner to :"owner";
revoke create on schema public from public;
grant usage on schema public to :"app";
