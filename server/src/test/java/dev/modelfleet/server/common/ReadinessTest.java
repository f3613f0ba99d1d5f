package dev.modelfleet.server.common;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;

import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * /q/health/ready covers what a replica needs to do its work (the key directory, the artifact
 * store, the LISTEN connection, PostgreSQL) and turns 503 when one of them fails; /q/health/live
 * does not look at any of them, so a broken volume takes the replica out of service without
 * restarting it.
 */
@QuarkusTest
class ReadinessTest {

  // the %test profile's directories (application.properties)
  private static final Path KEYS = Path.of("target/test-data/keys");
  private static final Path ARTIFACTS = Path.of("target/test-data/artifacts");

  @Test
  void readyNamesEveryDependency() {
    given()
        .get("/q/health/ready")
        .then()
        .statusCode(200)
        .body("checks.name", hasItems("key directory", "artifact store", "cluster listener"));
  }

  @Test
  void anArtifactStoreThatCannotTakeAnUploadIsNotReady() throws IOException {
    Path staging = ARTIFACTS.resolve("staging");
    Path aside = ARTIFACTS.resolve("staging-aside");
    Files.createDirectories(staging);
    Files.move(staging, aside);
    Files.writeString(staging, "not a directory"); // as a volume mounted wrong would be
    try {
      given()
          .get("/q/health/ready")
          .then()
          .statusCode(503)
          .body("checks.find { it.name == 'artifact store' }.status", equalTo("DOWN"));
      given().get("/q/health/live").then().statusCode(200);
    } finally {
      Files.delete(staging);
      Files.move(aside, staging);
    }
    given().get("/q/health/ready").then().statusCode(200);
  }

  @Test
  void aKeyDirectoryWithoutTheTargetsKeyIsNotReady() throws IOException {
    Path aside = Files.createTempDirectory("keys-aside");
    List<Path> moved;
    try (Stream<Path> files = Files.list(KEYS)) {
      moved = files.filter(f -> f.getFileName().toString().startsWith("targets")).toList();
    }
    for (Path file : moved) {
      Files.move(file, aside.resolve(file.getFileName()));
    }
    try {
      given()
          .get("/q/health/ready")
          .then()
          .statusCode(503)
          .body("checks.find { it.name == 'key directory' }.status", equalTo("DOWN"));
      given().get("/q/health/live").then().statusCode(200);
    } finally {
      for (Path file : moved) {
        Files.move(aside.resolve(file.getFileName()), file, StandardCopyOption.REPLACE_EXISTING);
      }
      Files.delete(aside);
    }
    given().get("/q/health/ready").then().statusCode(200);
  }
}
