package dev.modelfleet.server.cluster;

import static dev.modelfleet.server.support.Api.admin;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.DesiredState;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.server.device.DeviceLinks;
import dev.modelfleet.server.signing.Signer;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.AgentClient.SyncStream;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Eventually;
import dev.modelfleet.server.support.Fixtures;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Replicas tell each other about changes with NOTIFY. "Another replica" is played by a raw JDBC
 * connection that commits a change and notifies, the way a replica's transaction does; this process
 * learns of it only through its listener, never through a CDI event.
 */
@QuarkusTest
class ClusterNotifyTest {

  @Inject ClusterListener listener;
  @Inject DeviceLinks links;
  @Inject Signer signing;

  AgentClient agent;

  @BeforeEach
  void connect() throws InterruptedException {
    agent = new AgentClient();
    Eventually.until("the listener is up", listener::listening);
  }

  @AfterEach
  void disconnect() throws InterruptedException {
    agent.close();
  }

  @Test
  void desiredStateCommittedOnAnotherReplicaReachesTheOpenStream() throws Exception {
    EnrollResponse device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
    UUID deviceId = UUID.fromString(device.getDeviceId());
    SyncStream stream = openStream(device);

    try (Connection replica = rawConnection()) {
      // notices this version cannot read must not stop the ones after them
      notify(replica, ClusterChannels.DESIRED_STATE, "not-a-device:1");
      notify(replica, ClusterChannels.DESIRED_STATE, deviceId + ":many");
      notify(replica, ClusterChannels.DECOMMISSIONED, "garbage");
      commitDesiredState(replica, deviceId, 7, true);
    }

    DesiredState received = desiredState(stream.next());
    assertEquals(7, received.getGeneration());
    assertEquals(device.getDeviceId(), received.getDeviceId());
    stream.cancel();
  }

  @Test
  void decommissioningOnAnotherReplicaClosesTheOpenStream() throws Exception {
    EnrollResponse device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
    SyncStream stream = openStream(device);

    try (Connection replica = rawConnection()) {
      replica.setAutoCommit(false);
      try (PreparedStatement update =
          replica.prepareStatement(
              "update devices set status = 'decommissioned', decommissioned_at = now() where id = ?")) {
        update.setObject(1, UUID.fromString(device.getDeviceId()));
        update.executeUpdate();
      }
      notify(replica, ClusterChannels.DECOMMISSIONED, device.getDeviceId());
      replica.commit();
    }

    StatusRuntimeException ended =
        assertInstanceOf(StatusRuntimeException.class, stream.awaitEnd());
    assertEquals(Status.Code.UNAUTHENTICATED, ended.getStatus().getCode());
  }

  @Test
  void changesMadeHereNotifyTheOtherReplicasAtCommit() throws Exception {
    EnrollResponse device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
    var published = Fixtures.publishedClassifier(81);
    try (Connection replica = rawConnection()) {
      try (Statement listen = replica.createStatement()) {
        listen.execute("listen " + ClusterChannels.DESIRED_STATE);
        listen.execute("listen " + ClusterChannels.DECOMMISSIONED);
      }

      Api.adminJson()
          .body(Map.of("deviceId", device.getDeviceId()))
          .post(
              "/api/v1/models/"
                  + published.model()
                  + "/versions/"
                  + published.version()
                  + "/assignments")
          .then()
          .statusCode(200);
      assertTrue(
          notices(replica)
              .contains(ClusterChannels.DESIRED_STATE + " " + device.getDeviceId() + ":1"));

      admin()
          .post("/api/v1/devices/" + device.getDeviceId() + "/decommission")
          .then()
          .statusCode(200);
      assertTrue(
          notices(replica).contains(ClusterChannels.DECOMMISSIONED + " " + device.getDeviceId()));
    }
  }

  /** A notice sent while the listener was disconnected is lost; the reconnect makes up for it. */
  @Test
  void aReconnectedListenerResendsWhatItMayHaveMissed() throws Exception {
    EnrollResponse device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
    UUID deviceId = UUID.fromString(device.getDeviceId());
    int pidBefore = listener.backendPid();

    try (Connection replica = rawConnection()) {
      // a document before the stream opens, which its Hello sends: once it has arrived, the
      // Hello's own read of the desired state is over (it comes after the stream is registered,
      // and on a loaded machine could otherwise read the document committed below)
      commitDesiredState(replica, deviceId, 2, false);
      SyncStream stream = openStream(device);
      assertEquals(2, desiredState(stream.next()).getGeneration());
      commitDesiredState(replica, deviceId, 3, false); // its notice went nowhere
      assertEquals(null, stream.received.poll(500, TimeUnit.MILLISECONDS), "nothing to push yet");
      try (PreparedStatement kill = replica.prepareStatement("select pg_terminate_backend(?)")) {
        kill.setInt(1, pidBefore);
        kill.execute();
      }
      assertEquals(3, desiredState(stream.next()).getGeneration());
      Eventually.until(
          "the listener is back", () -> listener.listening() && listener.backendPid() != 0);
      assertNotEquals(pidBefore, listener.backendPid());
      stream.cancel();
    }
  }

  private SyncStream openStream(EnrollResponse device) throws InterruptedException {
    SyncStream stream = agent.sync(device.getDeviceCredential());
    stream.hello();
    assertTrue(stream.next().hasConfig());
    // the stream is registered once Hello has been handled; a notice before that would be
    // answered by the Hello's own read, which this test must not rely on
    Eventually.until(
        "the stream is registered", () -> links.isConnected(UUID.fromString(device.getDeviceId())));
    return stream;
  }

  /**
   * What another replica's publish does: store a signed document and notify, in one transaction.
   */
  private void commitDesiredState(
      Connection replica, UUID deviceId, long generation, boolean notify) throws SQLException {
    long now = System.currentTimeMillis();
    long expires = now + Duration.ofDays(7).toMillis();
    SignedEnvelope document =
        signing.signWithDirector(
            Dsse.DESIRED_STATE_TYPE,
            DesiredState.newBuilder()
                .setDeviceId(deviceId.toString())
                .setGeneration(generation)
                .setIssuedAtMs(now)
                .setExpiresAtMs(expires)
                .build());
    replica.setAutoCommit(false);
    try (PreparedStatement upsert =
        replica.prepareStatement(
            "insert into device_desired_states (device_id, generation, document, issued_at, expires_at)"
                + " values (?, ?, ?, now(), now() + interval '7 days')"
                + " on conflict (device_id) do update set generation = excluded.generation,"
                + " document = excluded.document, issued_at = excluded.issued_at, expires_at = excluded.expires_at")) {
      upsert.setObject(1, deviceId);
      upsert.setLong(2, generation);
      upsert.setBytes(3, document.toByteArray());
      upsert.executeUpdate();
    }
    if (notify) {
      notify(
          replica,
          ClusterChannels.DESIRED_STATE,
          ClusterChannels.desiredStatePayload(deviceId, generation));
    }
    replica.commit();
    replica.setAutoCommit(true);
  }

  private static void notify(Connection connection, String channel, String payload)
      throws SQLException {
    try (PreparedStatement notify = connection.prepareStatement("select pg_notify(?, ?)")) {
      notify.setString(1, channel);
      notify.setString(2, payload);
      notify.execute();
    }
  }

  /** "channel payload" of every notice that arrives within a few seconds. */
  private static List<String> notices(Connection connection) throws SQLException {
    List<String> seen = new ArrayList<>();
    PGNotification[] batch = connection.unwrap(PGConnection.class).getNotifications(3_000);
    while (batch != null && batch.length > 0) {
      for (PGNotification notice : batch) {
        seen.add(notice.getName() + " " + notice.getParameter());
      }
      batch = connection.unwrap(PGConnection.class).getNotifications(300);
    }
    return seen;
  }

  private static Connection rawConnection() throws SQLException {
    var config = ConfigProvider.getConfig();
    return DriverManager.getConnection(
        config.getValue("quarkus.datasource.jdbc.url", String.class),
        config.getValue("quarkus.datasource.username", String.class),
        config.getValue("quarkus.datasource.password", String.class));
  }

  private static DesiredState desiredState(ServerMessage message) throws Exception {
    assertTrue(message.hasDesiredState(), message.toString());
    return DesiredState.parseFrom(message.getDesiredState().getPayload());
  }
}
