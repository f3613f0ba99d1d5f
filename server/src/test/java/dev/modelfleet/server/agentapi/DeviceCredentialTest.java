package dev.modelfleet.server.agentapi;

import static dev.modelfleet.server.support.Api.admin;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.AgentClient.SyncStream;
import dev.modelfleet.server.support.Fixtures;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A decommissioned device's credential opens nothing: not Sync, nor either artifact path. */
@QuarkusTest
class DeviceCredentialTest {

  @Test
  void aDecommissionedDevicesCredentialIsRefusedEverywhere() throws Exception {
    try (AgentClient agent = new AgentClient()) {
      EnrollResponse device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
      String credential = device.getDeviceCredential();
      Fixtures.Published published = Fixtures.publishedClassifier(9401);
      SyncTest.AssignmentTestSupport.assign(published, device.getDeviceId());
      // both paths work while the device is active, so the refusals below are the decommission's
      assertArrayEquals(
          published.bytes(),
          AgentClient.concat(agent.fetch(credential, published.sha256(), 0), new ArrayList<>()));
      http(credential, published.sha256()).then().statusCode(200);

      admin()
          .post("/api/v1/devices/" + device.getDeviceId() + "/decommission")
          .then()
          .statusCode(200);

      SyncStream stream = agent.sync(credential);
      stream.hello();
      SyncTest.assertCode(Status.Code.UNAUTHENTICATED, stream.awaitEnd());
      StatusRuntimeException fetch =
          assertThrows(
              StatusRuntimeException.class,
              () -> agent.fetch(credential, published.sha256(), 0).hasNext());
      assertEquals(Status.Code.UNAUTHENTICATED, fetch.getStatus().getCode());
      http(credential, published.sha256()).then().statusCode(401);
    }
  }

  private static io.restassured.response.Response http(String credential, String sha256) {
    return given()
        .header("Authorization", "Bearer " + credential)
        .get("/agent/v1/artifacts/" + sha256);
  }
}
