package dev.modelfleet.server.agentapi;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.onnx.samples.SampleModels;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.server.common.FleetGaugeRefresh;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Db;
import dev.modelfleet.server.support.Eventually;
import dev.modelfleet.server.support.Fixtures;
import dev.modelfleet.server.support.Scrape;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * /q/metrics as Prometheus scrapes it: every family is there from the start (at 0), and what a
 * device and an operator do moves the counters and gauges it should, by the amount it should.
 */
@QuarkusTest
class ServerMetricsTest {

  /** Families of docs/operations.md that exist before anything happened. */
  static final List<String> FROM_THE_START =
      List.of(
          "modelfleet_devices",
          "modelfleet_devices_connectivity",
          "modelfleet_sync_streams_open",
          "modelfleet_heartbeat_ingest_latency_seconds_bucket",
          "modelfleet_heartbeat_ingest_queue_depth",
          "modelfleet_heartbeats_received_total",
          "modelfleet_heartbeats_dropped_total",
          "modelfleet_desired_states_issued_total",
          "modelfleet_artifact_served_bytes_total",
          "modelfleet_artifact_downloads_started_total",
          "modelfleet_artifact_downloads_finished_total",
          "modelfleet_artifact_downloads_failed_total",
          "modelfleet_rollouts",
          "modelfleet_rollout_gate_breaches_total",
          "modelfleet_rollout_wave_breaches_total",
          "modelfleet_derivation_jobs",
          "modelfleet_derivation_job_duration_seconds_bucket",
          "modelfleet_enrollments_total",
          "modelfleet_enrollments_without_key_proof_total",
          "modelfleet_signing_operations_total",
          "modelfleet_cluster_listener_reconnects_total",
          "modelfleet_cluster_listener_connected",
          "modelfleet_root_metadata_expiry_timestamp_seconds",
          "modelfleet_fleet_ca_expiry_timestamp_seconds",
          "modelfleet_manifest_earliest_expiry_timestamp_seconds");

  private static final byte[] MODEL = SampleModels.classifier(47, 256, 512, 3);

  @Inject FleetGaugeRefresh gauges;

  @Test
  void everyFamilyIsScrapedBeforeAnythingHappened() {
    var names = Scrape.server().names();
    for (String family : FROM_THE_START) {
      assertTrue(names.contains(family), family + " is missing from /q/metrics");
    }
  }

  @Test
  void aDeviceThatEnrollsAndDownloadsItsModelIsCounted() throws Exception {
    Scrape before = Scrape.server();
    try (AgentClient agent = new AgentClient()) {
      EnrollResponse device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
      String model = Fixtures.modelWithVersion("1.0.0");
      var variant = Fixtures.upload(model, "1.0.0", "fp32", "cpu", MODEL);
      var published =
          new Fixtures.Published(
              model, "1.0.0", variant.getString("id"), variant.getString("sha256"), MODEL);
      SyncTest.AssignmentTestSupport.assign(published, device.getDeviceId());
      given()
          .header("Authorization", "Bearer " + device.getDeviceCredential())
          .get("/agent/v1/artifacts/" + published.sha256())
          .then()
          .statusCode(200);
    }
    // the download's end is counted when the response has gone out, just after the client has it
    Eventually.within(
        Eventually.LIMIT,
        () -> {
          Scrape after = Scrape.server();
          assertEquals(
              1, delta(before, after, "modelfleet_enrollments_total", "reason=\"active\""));
          assertEquals(1, delta(before, after, "modelfleet_desired_states_issued_total"));
          // the manifest (targets) and the desired state (director)
          assertTrue(delta(before, after, "modelfleet_signing_operations_total") >= 2);
          assertEquals(
              1,
              delta(before, after, "modelfleet_artifact_downloads_started_total", "path=\"http\""));
          assertEquals(
              1,
              delta(
                  before, after, "modelfleet_artifact_downloads_finished_total", "path=\"http\""));
          assertEquals(
              MODEL.length,
              delta(before, after, "modelfleet_artifact_served_bytes_total", "path=\"http\""));
        });
  }

  @Test
  void refusedEnrollmentsAreCountedByReason() throws Exception {
    Scrape before = Scrape.server();
    try (AgentClient agent = new AgentClient()) {
      assertThrows(StatusRuntimeException.class, () -> agent.enroll("no-such-token"));
    }
    Scrape after = Scrape.server();
    assertEquals(
        1,
        delta(
            before,
            after,
            "modelfleet_enrollments_total",
            "result=\"refused\"",
            "reason=\"unknown-token\""));
  }

  @Test
  void devicesByStatusAreTheDatabasesFigures() throws Exception {
    try (AgentClient agent = new AgentClient()) {
      agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
    }
    gauges.refresh();
    Scrape scrape = Scrape.server();
    assertEquals(
        Db.number("select count(*) from devices where status = 'active'"),
        scrape.sum("modelfleet_devices", "status=\"active\""));
    // just enrolled, so heard from within three heartbeat intervals
    assertTrue(scrape.sum("modelfleet_devices_connectivity", "state=\"connected\"") >= 1);
    assertEquals(
        Db.number("select count(*) from rollouts where state = 'completed'"),
        scrape.sum("modelfleet_rollouts", "state=\"completed\""));
  }

  @Test
  void apiRequestsAreCountedByRouteTemplateAndStatus() {
    Scrape before = Scrape.server();
    Api.admin().get("/api/v1/devices/" + java.util.UUID.randomUUID()).then().statusCode(404);
    Scrape after = Scrape.server();
    assertEquals(
        1,
        delta(
            before,
            after,
            "http_server_requests_seconds_count",
            "uri=\"/api/v1/devices/{id}\"",
            "status=\"404\""));
  }

  private static double delta(Scrape before, Scrape after, String name, String... labels) {
    return after.sum(name, labels) - before.sum(name, labels);
  }
}
