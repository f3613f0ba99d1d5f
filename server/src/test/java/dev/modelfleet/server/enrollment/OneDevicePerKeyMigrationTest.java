package dev.modelfleet.server.enrollment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * V31 on a database that the old Enroll left duplicates in, as an upgrade meets it: the orphans of
 * lost replies are decommissioned, devices in use that share a key (cloned images) keep working and
 * do not stop the upgrade, and from then on a key in use belongs to one device.
 */
class OneDevicePerKeyMigrationTest {

  private static final String HOST = "jdbc:postgresql://127.0.0.1:5432/";
  private final String database = "modelfleet_v31_" + UUID.randomUUID().toString().substring(0, 8);

  @BeforeEach
  void createDatabase() throws SQLException {
    try (Connection c = DriverManager.getConnection(HOST + "postgres", "postgres", "postgres");
        Statement s = c.createStatement()) {
      s.execute("create database " + database);
    }
  }

  @AfterEach
  void dropDatabase() throws SQLException {
    try (Connection c = DriverManager.getConnection(HOST + "postgres", "postgres", "postgres");
        Statement s = c.createStatement()) {
      s.execute("drop database if exists " + database + " with (force)");
    }
  }

  @Test
  void orphansGoClonesStayAndNoNewDeviceJoinsAKeyInUse() throws SQLException {
    migrate("30");
    byte[] lostReply = key(1);
    byte[] cloned = key(2);
    Instant t0 = Instant.parse("2026-12-01T00:00:00Z");
    try (Connection c = connect()) {
      UUID inUse = device(c, lostReply, t0, t0.plusSeconds(60)); // heard from
      UUID orphan = device(c, lostReply, t0.plusSeconds(1), t0.plusSeconds(1)); // never
      UUID cloneA = device(c, cloned, t0, t0.plusSeconds(30));
      UUID cloneB = device(c, cloned, t0.plusSeconds(5), t0.plusSeconds(40));

      migrate(null);

      assertEquals("active", status(c, inUse));
      assertEquals("decommissioned", status(c, orphan), "the lost reply's device is retired");
      assertEquals("active", status(c, cloneA), "devices in use keep working");
      assertEquals("active", status(c, cloneB));
      assertEquals(
          Map.of(cloneA, true, cloneB, true, inUse, false),
          Map.of(
              cloneA,
              sharedKey(c, cloneA),
              cloneB,
              sharedKey(c, cloneB),
              inUse,
              sharedKey(c, inUse)));
      assertEquals(inUse, holder(c, lostReply));
      assertEquals(cloneB, holder(c, cloned), "the newest of a shared key");

      SQLException second =
          assertThrows(SQLException.class, () -> device(c, lostReply, t0, t0.plusSeconds(99)));
      assertEquals("23505", second.getSQLState(), "unique violation: " + second.getMessage());
      UUID fresh = device(c, key(3), t0, null);
      assertEquals(fresh, holder(c, key(3)));
    }
  }

  /**
   * Every Enroll asks who holds its key: an index probe, not a read of the fleet. V31's lookup
   * found no index to use and read every device, which made enrolling 50,000 devices quadratic.
   */
  @Test
  void theKeyHolderLookupReadsTheKeyNotTheFleet() throws SQLException {
    migrate(null);
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      s.execute(
          "insert into devices (id, name, status, public_key, credential_hash, enrolled_at)"
              + " select gen_random_uuid(), 'fleet-' || i, 'active',"
              + " sha256(int4send(i)) || sha256(int4send(-i)), repeat('0', 64), now()"
              + " from generate_series(1, 3000) i");
      s.execute("analyze devices");
      UUID held = device(c, key(7), Instant.parse("2026-12-01T00:00:00Z"), null);
      c.setAutoCommit(false);
      long before = devicesRead(c);
      assertEquals(held, holder(c, key(7)));
      assertEquals(null, holder(c, key(8)), "a new key: nobody holds it");
      long read = devicesRead(c) - before;
      c.rollback();
      assertTrue(read <= 4, "two lookups read " + read + " devices of 3,001");
    }
  }

  /** Rows the transaction read from devices, by scans of the table and of its indexes. */
  private static long devicesRead(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet r =
            s.executeQuery(
                "select pg_stat_get_xact_tuples_returned('devices'::regclass)"
                    + " + coalesce((select sum(pg_stat_get_xact_tuples_returned(i.indexrelid))"
                    + " from pg_index i where i.indrelid = 'devices'::regclass), 0)")) {
      r.next();
      return r.getLong(1);
    }
  }

  private void migrate(String target) {
    var config =
        Flyway.configure()
            .dataSource(HOST + database, "postgres", "postgres")
            .locations("classpath:db/migration")
            .placeholders(Map.of("app_role", "modelfleet_app"));
    if (target != null) {
      config.target(target);
    }
    config.load().migrate();
  }

  private Connection connect() throws SQLException {
    return DriverManager.getConnection(HOST + database, "postgres", "postgres");
  }

  private static UUID device(Connection c, byte[] key, Instant enrolled, Instant seen)
      throws SQLException {
    UUID id = UUID.randomUUID();
    try (PreparedStatement p =
        c.prepareStatement(
            "insert into devices (id, name, status, public_key, credential_hash, enrolled_at,"
                + " last_seen_at) values (?, ?, 'active', ?, ?, ?, ?)")) {
      p.setObject(1, id);
      p.setString(2, "d-" + id);
      p.setBytes(3, key);
      p.setString(4, "0".repeat(64));
      p.setObject(5, java.sql.Timestamp.from(enrolled));
      p.setObject(6, seen == null ? null : java.sql.Timestamp.from(seen));
      p.executeUpdate();
    }
    return id;
  }

  private static String status(Connection c, UUID id) throws SQLException {
    return one(c, "select status from devices where id = ?", id);
  }

  private static boolean sharedKey(Connection c, UUID id) throws SQLException {
    return one(c, "select shared_key from devices where id = ?", id);
  }

  private static UUID holder(Connection c, byte[] key) throws SQLException {
    return one(c, "select device_key_holder(?)", key);
  }

  @SuppressWarnings("unchecked")
  private static <T> T one(Connection c, String sql, Object parameter) throws SQLException {
    try (PreparedStatement p = c.prepareStatement(sql)) {
      p.setObject(1, parameter);
      try (ResultSet r = p.executeQuery()) {
        r.next();
        return (T) r.getObject(1);
      }
    }
  }

  private static byte[] key(int seed) {
    byte[] key = new byte[44];
    java.util.Arrays.fill(key, (byte) seed);
    return key;
  }
}
