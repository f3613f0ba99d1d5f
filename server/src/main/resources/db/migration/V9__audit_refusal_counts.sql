-- Unauthenticated calls are counted, not written one by one: an entry can stand for many calls
-- (one source address within one window), so anyone who reaches the port cannot grow the log at
-- will. Every other entry is one call. Adding a column with a default rewrites no row, so the
-- append-only trigger is not involved.
alter table audit_log add column request_count integer not null default 1;
