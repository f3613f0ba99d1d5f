package dev.modelfleet.server.device.heartbeat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelfleet.server.common.StoredText;
import dev.modelfleet.server.device.InstalledModelInfo;
import io.agroal.api.AgroalDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

/**
 * Writes a batch of heartbeats in one transaction: last_seen_at and installed per device, and one
 * device_model_health row per reported model version (at most {@link
 * ModelHealthInfo#KEPT_PER_DEVICE} per device, the most recently reported).
 */
@ApplicationScoped
class HeartbeatWriter {

  /** Which heartbeats reached the database, and which must wait for a later round. */
  record Result(List<PendingHeartbeat> written, List<PendingHeartbeat> deferred) {}

  // Rows another transaction holds (an assignment wave locks its devices one after another)
  // are skipped, not waited for: a flush that waited while holding other devices' rows could
  // deadlock with that wave, and PostgreSQL might pick the operator's request as the victim.
  // NO KEY UPDATE is what the update takes anyway, and it leaves foreign-key checks alone.
  // Holding its devices' rows, a flush never waits on anyone: health rows are only written
  // by the flush that holds their device.
  private static final String LOCK_DEVICES =
      "select id from devices where id = any(?) for no key update skip locked";

  // One statement per table and flush, its rows passed as arrays: PostgreSQL plans and runs
  // one statement instead of one per row (about twice the rate of a JDBC batch, measured with
  // HeartbeatIngestBenchmark).
  // Timestamps travel as microseconds since the epoch, exactly.
  private static final String AT = "timestamptz 'epoch' + v.micros * interval '1 microsecond'";

  // Hello and benchmark reports write the same columns synchronously; a heartbeat received
  // before them must not bring back what it said. A heartbeat that names no agent release (an
  // older agent) leaves the one Hello stored.
  private static final String UPDATE_DEVICES =
      "update devices d set last_seen_at = "
          + AT
          + ", installed = v.installed::jsonb"
          + ", agent_version = coalesce(v.agent_version, d.agent_version)"
          + " from unnest(?::uuid[], ?::bigint[], ?::text[], ?::text[])"
          + " as v(id, micros, installed, agent_version)"
          + " where d.id = v.id and (d.last_seen_at is null or d.last_seen_at <= "
          + AT
          + ")";

  private static final String UPSERT_HEALTH =
      "insert into device_model_health as h (device_id, model, version, variant_id, requests,"
          + " errors, p50_ms, p95_ms, execution_provider_used, reported_at)"
          + " select v.device_id, v.model, v.version, v.variant_id, v.requests, v.errors, v.p50,"
          + " v.p95, v.provider, "
          + AT
          + " from unnest(?::uuid[], ?::text[], ?::text[], ?::uuid[], ?::bigint[], ?::bigint[],"
          + " ?::float8[], ?::float8[], ?::text[], ?::bigint[])"
          + " as v(device_id, model, version, variant_id, requests, errors, p50, p95, provider, micros)"
          + " on conflict (device_id, model, version) do update set variant_id = excluded.variant_id,"
          + " requests = excluded.requests, errors = excluded.errors, p50_ms = excluded.p50_ms,"
          + " p95_ms = excluded.p95_ms, execution_provider_used = excluded.execution_provider_used,"
          + " reported_at = excluded.reported_at"
          + " where h.reported_at <= excluded.reported_at"
          // xmax is 0 on a row this statement inserted, the current transaction on one it
          // updated: only a device that reported a version new to it can be past the cap
          + " returning device_id, xmax = 0";

  // A device names its model versions itself, pending approval or not: it keeps the figures of
  // the versions it reported most recently.
  private static final String KEEP_NEWEST_HEALTH =
      "delete from device_model_health h using (select device_id, model, version, row_number()"
          + " over (partition by device_id order by reported_at desc, model, version) as newest"
          + " from device_model_health where device_id = any(?)) r"
          + " where h.device_id = r.device_id and h.model = r.model and h.version = r.version"
          + " and r.newest > ?";

  // A late heartbeat's figures are usually older than the stored ones, and then the upsert
  // changes no row and the sample trigger (V11) never fires: its point of history would be lost
  // whenever a newer heartbeat was written first (a reconnect, or its device held by another
  // transaction when it was due). So it gets its sample here, one per minute as the trigger
  // keeps them, looking both ways since newer samples may exist; the trigger then finds it and
  // adds none. Samples past the 7 days the trigger keeps are not made.
  private static final String INSERT_LATE_SAMPLE =
      "insert into device_health_samples (device_id, model, version, at, requests, errors,"
          + " p50_ms, p95_ms)"
          + " select v.device_id, v.model, v.version, "
          + AT
          + ", v.requests, v.errors, v.p50, v.p95"
          + " from unnest(?::uuid[], ?::text[], ?::text[], ?::bigint[], ?::bigint[], ?::float8[],"
          + " ?::float8[], ?::bigint[])"
          + " as v(device_id, model, version, requests, errors, p50, p95, micros)"
          + " where "
          + AT
          + " > now() - interval '7 days' and not exists (select 1 from device_health_samples s"
          + " where s.device_id = v.device_id and s.model = v.model and s.version = v.version"
          + " and s.at > "
          + AT
          + " - interval '1 minute' and s.at < "
          + AT
          + " + interval '1 minute')"
          + " on conflict do nothing";

  // Hibernate maps the installed column with a default Jackson mapper; the same field names here
  private static final ObjectMapper JSON = new ObjectMapper();

  private final AgroalDataSource dataSource;

  HeartbeatWriter(AgroalDataSource dataSource) {
    this.dataSource = dataSource;
  }

  Result write(List<PendingHeartbeat> batch) throws SQLException {
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(false);
      try {
        relaxDurability(connection);
        Set<UUID> locked = lock(connection, batch);
        List<PendingHeartbeat> written = new ArrayList<>(locked.size());
        List<PendingHeartbeat> deferred = new ArrayList<>();
        for (PendingHeartbeat heartbeat : batch) {
          (locked.contains(heartbeat.deviceId()) ? written : deferred).add(heartbeat);
        }
        updateDevices(connection, written);
        upsertHealth(connection, written);
        connection.commit();
        return new Result(written, deferred);
      } catch (SQLException | RuntimeException e) {
        rollBack(connection, e);
        throw e;
      }
    }
  }

  /**
   * Writes heartbeats a device made while offline, each dated by its receivedAt (set to when it was
   * made): health figures and their sample only, statements per heartbeat in the order given, since
   * one statement cannot update a row twice and each is a point of the device's history. Returns
   * those of devices another transaction holds, to be written later.
   */
  List<PendingHeartbeat> writeBackdated(List<PendingHeartbeat> batch) throws SQLException {
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(false);
      try {
        relaxDurability(connection);
        Set<UUID> locked = lock(connection, batch);
        List<PendingHeartbeat> deferred = new ArrayList<>();
        for (PendingHeartbeat heartbeat : batch) {
          if (locked.contains(heartbeat.deviceId())) {
            insertLateSamples(connection, heartbeat);
            upsertHealth(connection, List.of(heartbeat));
          } else {
            deferred.add(heartbeat);
          }
        }
        connection.commit();
        return deferred;
      } catch (SQLException | RuntimeException e) {
        rollBack(connection, e);
        throw e;
      }
    }
  }

  /** The connection may be what failed; the original error is the one worth reporting. */
  private static void rollBack(Connection connection, Exception cause) {
    try {
      connection.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }

  /**
   * A heartbeat is telemetry that the next one repeats, so its commit need not wait for the WAL to
   * reach disk: should PostgreSQL crash, the last few hundred milliseconds of heartbeats are lost,
   * never the database's consistency. Hello, progress and everything else keep waiting for
   * durability.
   */
  private static void relaxDurability(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      statement.execute("set local synchronous_commit = off");
    }
  }

  private static Set<UUID> lock(Connection connection, List<PendingHeartbeat> batch)
      throws SQLException {
    UUID[] ids = batch.stream().map(PendingHeartbeat::deviceId).toArray(UUID[]::new);
    Set<UUID> locked = new HashSet<>();
    try (PreparedStatement statement = connection.prepareStatement(LOCK_DEVICES)) {
      statement.setArray(1, connection.createArrayOf("uuid", ids));
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          locked.add(rows.getObject(1, UUID.class));
        }
      }
    }
    return locked;
  }

  private static void updateDevices(Connection connection, List<PendingHeartbeat> written)
      throws SQLException {
    if (written.isEmpty()) {
      return;
    }
    int n = written.size();
    UUID[] ids = new UUID[n];
    Long[] micros = new Long[n];
    String[] installed = new String[n];
    String[] agentVersions = new String[n];
    for (int i = 0; i < n; i++) {
      PendingHeartbeat heartbeat = written.get(i);
      ids[i] = heartbeat.deviceId();
      micros[i] = micros(heartbeat.receivedAt());
      installed[i] = installedJson(heartbeat.installed());
      agentVersions[i] = heartbeat.agentVersion();
    }
    try (PreparedStatement statement = connection.prepareStatement(UPDATE_DEVICES)) {
      statement.setArray(1, connection.createArrayOf("uuid", ids));
      statement.setArray(2, connection.createArrayOf("int8", micros));
      statement.setArray(3, connection.createArrayOf("text", installed));
      statement.setArray(4, connection.createArrayOf("text", agentVersions));
      statement.executeUpdate();
    }
  }

  private static void upsertHealth(Connection connection, List<PendingHeartbeat> written)
      throws SQLException {
    List<UUID> devices = new ArrayList<>();
    List<ModelHealthInfo> rows = new ArrayList<>();
    List<Long> micros = new ArrayList<>();
    for (PendingHeartbeat heartbeat : written) {
      for (ModelHealthInfo health : heartbeat.health()) {
        devices.add(heartbeat.deviceId());
        rows.add(health);
        micros.add(micros(heartbeat.receivedAt()));
      }
    }
    if (rows.isEmpty()) {
      return;
    }
    try (PreparedStatement statement = connection.prepareStatement(UPSERT_HEALTH)) {
      statement.setArray(1, connection.createArrayOf("uuid", devices.toArray()));
      statement.setArray(2, column(connection, "text", rows, ModelHealthInfo::model));
      statement.setArray(3, column(connection, "text", rows, ModelHealthInfo::version));
      statement.setArray(4, column(connection, "uuid", rows, ModelHealthInfo::variantId));
      statement.setArray(5, column(connection, "int8", rows, ModelHealthInfo::requests));
      statement.setArray(6, column(connection, "int8", rows, ModelHealthInfo::errors));
      statement.setArray(7, column(connection, "float8", rows, ModelHealthInfo::p50Ms));
      statement.setArray(8, column(connection, "float8", rows, ModelHealthInfo::p95Ms));
      statement.setArray(
          9, column(connection, "text", rows, ModelHealthInfo::executionProviderUsed));
      statement.setArray(10, connection.createArrayOf("int8", micros.toArray()));
      Set<UUID> added = new HashSet<>();
      try (ResultSet upserted = statement.executeQuery()) {
        while (upserted.next()) {
          if (upserted.getBoolean(2)) {
            added.add(upserted.getObject(1, UUID.class));
          }
        }
      }
      keepNewestHealth(connection, added);
    }
  }

  private static void insertLateSamples(Connection connection, PendingHeartbeat heartbeat)
      throws SQLException {
    List<ModelHealthInfo> rows = heartbeat.health();
    if (rows.isEmpty()) {
      return;
    }
    Long at = micros(heartbeat.receivedAt());
    try (PreparedStatement statement = connection.prepareStatement(INSERT_LATE_SAMPLE)) {
      statement.setArray(
          1,
          connection.createArrayOf("uuid", rows.stream().map(r -> heartbeat.deviceId()).toArray()));
      statement.setArray(2, column(connection, "text", rows, ModelHealthInfo::model));
      statement.setArray(3, column(connection, "text", rows, ModelHealthInfo::version));
      statement.setArray(4, column(connection, "int8", rows, ModelHealthInfo::requests));
      statement.setArray(5, column(connection, "int8", rows, ModelHealthInfo::errors));
      statement.setArray(6, column(connection, "float8", rows, ModelHealthInfo::p50Ms));
      statement.setArray(7, column(connection, "float8", rows, ModelHealthInfo::p95Ms));
      statement.setArray(8, column(connection, "int8", rows, r -> at));
      statement.executeUpdate();
    }
  }

  private static void keepNewestHealth(Connection connection, Set<UUID> devices)
      throws SQLException {
    if (devices.isEmpty()) {
      return;
    }
    try (PreparedStatement statement = connection.prepareStatement(KEEP_NEWEST_HEALTH)) {
      statement.setArray(1, connection.createArrayOf("uuid", devices.toArray()));
      statement.setInt(2, ModelHealthInfo.KEPT_PER_DEVICE);
      statement.executeUpdate();
    }
  }

  private static Array column(
      Connection connection,
      String type,
      List<ModelHealthInfo> rows,
      Function<ModelHealthInfo, ?> field)
      throws SQLException {
    return connection.createArrayOf(type, rows.stream().map(field).toArray());
  }

  private static long micros(Instant instant) {
    return instant.getEpochSecond() * 1_000_000 + instant.getNano() / 1_000;
  }

  private static String installedJson(List<InstalledModelInfo> installed) {
    List<InstalledModelInfo> clean =
        installed.stream()
            .map(
                m ->
                    new InstalledModelInfo(
                        StoredText.clean(m.model()),
                        StoredText.clean(m.version()),
                        StoredText.clean(m.variantId()),
                        StoredText.clean(m.sha256()),
                        m.active()))
            .toList();
    try {
      return JSON.writeValueAsString(clean);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a list of records did not serialize", e);
    }
  }
}
