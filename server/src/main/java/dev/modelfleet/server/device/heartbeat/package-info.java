/**
 * Heartbeat ingest: the latest heartbeat of each device kept in memory and written in batches, one
 * statement per table, with its figures (GET /api/v1/system/ingest). See docs/architecture.md,
 * "Heartbeat ingest".
 */
package dev.modelfleet.server.device.heartbeat;
