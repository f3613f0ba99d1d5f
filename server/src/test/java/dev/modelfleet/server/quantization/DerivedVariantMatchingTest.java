package dev.modelfleet.server.quantization;

import static dev.modelfleet.server.support.Api.admin;
import static dev.modelfleet.server.support.Api.adminJson;
import static dev.modelfleet.server.support.Profiles.GIB;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Fixtures;
import dev.modelfleet.server.support.Profiles;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The accuracy a derivation measured is what the matcher and assignments judge a variant by. */
@QuarkusTest
class DerivedVariantMatchingTest {

  @Test
  void theMeasuredAccuracyMeetsTheFloorsOfMatchAndAssignment() throws Exception {
    String model = Fixtures.modelWithVersion("1.0.0");
    String fp32 =
        Fixtures.upload(model, "1.0.0", "fp32", "cpu", TestModels.regressor(31).toByteArray())
            .getString("id");
    String path = "/api/v1/models/" + model + "/versions/1.0.0/derivations";
    String jobId =
        adminJson()
            .body(Map.of("kinds", List.of("int8-dynamic"), "accuracyFloor", 0.9))
            .post(path)
            .then()
            .statusCode(202)
            .extract()
            .path("id");
    JsonPath job = null;
    for (int i = 0; i < 600; i++) {
      job = admin().get(path + "/" + jobId).then().statusCode(200).extract().jsonPath();
      if (job.getString("state").equals("succeeded")
          || job.getString("state").equals("partially_succeeded")
          || job.getString("state").equals("failed")) {
        break;
      }
      Thread.sleep(100);
    }
    assertEquals("accepted", job.getString("variants[0].outcome"), job.prettify());
    String int8 = job.getString("variants[0].variantId");
    double accuracy = job.getDouble("variants[0].accuracy");
    assertTrue(
        accuracy > 0.99 && accuracy < 1.0, "int8 cosine is close to but below 1: " + accuracy);

    try (AgentClient agent = new AgentClient()) {
      String device =
          agent
              .enroll(
                  Fixtures.enrollmentToken(Map.of(), 1),
                  AgentClient.newDevicePublicKey(),
                  Profiles.profile(
                          Api.unique("epyc"),
                          "x86_64",
                          List.of("avx512_vnni"),
                          List.of("cpu"),
                          16 * GIB)
                      .setBenchmark(Profiles.benchmark("cpu/fp32=60", "cpu/int8=240"))
                      .build())
              .getDeviceId();
      String match = "/api/v1/devices/" + device + "/match";
      // no floor: the faster int8 build wins
      admin()
          .queryParam("model", model)
          .queryParam("version", "1.0.0")
          .get(match)
          .then()
          .statusCode(200)
          .body("chosen.variantId", equalTo(int8));
      // a floor above the measured accuracy drops it, saying so, and an assignment follows suit
      admin()
          .queryParam("model", model)
          .queryParam("version", "1.0.0")
          .queryParam("accuracyFloor", "1.0")
          .get(match)
          .then()
          .statusCode(200)
          .body("chosen.variantId", equalTo(fp32))
          .body(
              "candidates.find { it.variantId == '" + int8 + "' }.reason",
              org.hamcrest.Matchers.matchesPattern("accuracy 0\\.99\\d* is below the floor 1\\.0"));
      adminJson()
          .body(Map.of("deviceId", device, "accuracyFloor", 1.0))
          .post("/api/v1/models/" + model + "/versions/1.0.0/assignments")
          .then()
          .statusCode(200)
          .body("assigned[0].variantId", equalTo(fp32));
    }
  }
}
