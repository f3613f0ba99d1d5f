package dev.modelfleet.server.rollout;

import static dev.modelfleet.server.support.Api.admin;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Eventually;
import dev.modelfleet.server.support.FakeDevice;
import dev.modelfleet.server.support.FakeDevice.Reaction;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A rollout's devices page by page, its state filter holding across pages; the rollout list. */
@QuarkusTest
class RolloutPagingTest {

  private static final Map<String, Object> FAST =
      Map.of(
          "successThreshold", 0, "failureThreshold", 100, "soakSeconds", 0, "timeoutSeconds", 30);

  @Test
  void rolloutDevicesPageByWaveAndTheStateFilterHoldsAcrossPages() throws Exception {
    try (RolloutFixture f = new RolloutFixture(131)) {
      List<FakeDevice> failing = f.add(2, "cpu-page-bad-" + f.site, v -> Reaction.FAIL);
      List<FakeDevice> working = f.add(4, "cpu-page-ok-" + f.site, v -> Reaction.ACTIVATE);
      String id =
          f.start(Map.of("defaults", FAST, "waves", List.of(Map.of("percent", 100))))
              .getString("id");
      String devices = "/api/v1/rollouts/" + id + "/devices";
      Eventually.within(
          Duration.ofSeconds(20),
          () -> {
            assertEquals(2, Api.listAll(devices + "?state=failed", 1000).size());
            assertEquals(4, Api.listAll(devices + "?state=active", 1000).size());
          });

      List<Map<String, Object>> all = Api.listAll(devices, 4);
      assertEquals(6, all.size());
      assertEquals(
          6, all.stream().map(d -> d.get("deviceId")).distinct().count(), "each device once");
      List<Map<String, Object>> failed = Api.listAll(devices + "?state=failed", 1);
      assertEquals(
          failing.stream().map(d -> d.id).sorted().toList(),
          failed.stream().map(d -> (String) d.get("deviceId")).sorted().toList());
      List<Map<String, Object>> active = Api.listAll(devices + "?state=active", 3);
      assertEquals(
          working.stream().map(d -> d.id).sorted().toList(),
          active.stream().map(d -> (String) d.get("deviceId")).sorted().toList());
      // pages keep the order of one walk: by wave, then device id as the database orders it
      assertEquals(all.stream().filter(d -> "active".equals(d.get("state"))).toList(), active);

      Response first = admin().queryParam("state", "active").queryParam("limit", 3).get(devices);
      first.then().statusCode(200).body("size()", equalTo(3));
      String next = Api.nextLink(first.header("Link"));
      assertNotNull(next);
      assertEquals(true, next.contains("state=active"), next);
      Response last = admin().urlEncodingEnabled(false).get(next);
      last.then().statusCode(200).body("size()", equalTo(1));
      assertNull(last.header("Link"));

      // the rollout list, newest first, filtered by model across pages
      List<Map<String, Object>> rollouts = Api.listAll("/api/v1/rollouts?model=" + f.model, 1);
      assertEquals(List.of(id), rollouts.stream().map(r -> r.get("id")).toList());
    }
  }
}
