package dev.modelfleet.server.common;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Gauges a feature computes from the database (devices by status, rollouts by state): implemented
 * by the feature that owns the tables, refreshed by {@link FleetGaugeRefresh} on one connection
 * every few seconds rather than on each scrape, so a Prometheus scrape never queries 50,000 rows.
 * The figures are fleet-wide: every replica reports the same ones.
 */
public interface FleetGauges {

  /** Reads the figures (aggregates only, never a row per device) and updates the gauges. */
  void refresh(Connection connection) throws SQLException;
}
