package dev.modelfleet.server.rollout;

import static dev.modelfleet.server.rollout.RolloutFixture.awaitState;
import static dev.modelfleet.server.support.Api.admin;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.modelfleet.server.support.Eventually;
import dev.modelfleet.server.support.FakeDevice;
import dev.modelfleet.server.support.FakeDevice.Reaction;
import io.agroal.api.AgroalDataSource;
import io.quarkus.arc.Arc;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A rollout does not stand still behind one device whose row another transaction holds (at fleet
 * scale a heartbeat flush holds thousands at a time): the other members are told at once, and the
 * busy one as soon as its row is free.
 */
@QuarkusTest
class RolloutBusyDeviceTest {

  @Test
  void theOtherDevicesAreToldWhileOnesRowIsHeldAndItFollowsOnceFree() throws Exception {
    try (RolloutFixture f = new RolloutFixture(931)) {
      List<FakeDevice> devices = f.add(3, "cpu-busy-" + f.site, v -> Reaction.ACTIVATE);
      f.allOnVersion1();
      // their "active" reports stored too: none of them may still be on its way to the server when
      // the row is taken, or the report batch would wait for the row instead of the rollout
      for (FakeDevice d : devices) {
        Eventually.until(
            d.id + "'s report of version 1 stored",
            () ->
                "active"
                    .equals(admin().get("/api/v1/devices/" + d.id).path("deployments[0].state")));
      }
      FakeDevice busy = devices.get(1);
      AgroalDataSource db = Arc.container().instance(AgroalDataSource.class).get();
      String id;
      try (Connection holder = db.getConnection()) {
        holder.setAutoCommit(false);
        try (PreparedStatement lock =
            holder.prepareStatement("select id from devices where id = ? for no key update")) {
          // as a heartbeat flush holds it
          lock.setObject(1, UUID.fromString(busy.id));
          lock.executeQuery().close();
        }
        Map<String, Object> plan = new HashMap<>(RolloutFixture.allActiveWithin(60));
        plan.put("waves", List.of(Map.of("percent", 100)));
        id = f.start(plan).getString("id");
        Eventually.within(
            Duration.ofSeconds(15),
            () -> {
              for (FakeDevice d : devices) {
                if (d != busy && !"2".equals(d.runs(f.model))) {
                  throw new AssertionError(d.id + " does not run version 2 yet");
                }
              }
            });
        assertEquals("1", busy.runs(f.model), "the busy device is not told through the lock");
        assertEquals("running", RolloutFixture.get(id).getString("state"), "not done without it");
        holder.commit();
      }
      JsonPath done = awaitState(id, "completed");
      assertEquals("2", busy.runs(f.model), "told once its row was free");
      assertEquals(3, done.getInt("totals.byState.active"));
    }
  }
}
