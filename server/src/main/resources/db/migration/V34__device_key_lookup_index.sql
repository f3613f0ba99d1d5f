-- An index for device_key_holder's lookup (V31), which runs on every Enroll (issue 16).
--
-- V31's unique index on devices (public_key) is partial (not decommissioned, not a shared key),
-- and the lookup, which must also find shared keys, does not name shared_key: no index served it,
-- so every enrollment read the whole devices table while holding its key's advisory lock and,
-- further on, its token's row. With 30,000 devices that was 84 ms per enrollment, and the token's
-- row queued the others behind it (164 ms per use counted): joining 5,000 devices took 192 s
-- instead of 37 s, and ingest receipt-to-commit p99 reached 7.3 s while they joined (the 50,000
-- device run of docs/benchmarks.md). OneDevicePerKeyMigrationTest counts the rows a lookup reads.
create index devices_by_public_key on devices (public_key) where status <> 'decommissioned';
