package dev.modelfleet.server.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.onnx.samples.SampleModels;
import dev.modelfleet.server.support.Fixtures;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * The same bytes uploaded twice at once (a client retrying, say): whichever upload loses, the file
 * of the variant that was stored stays on disk.
 */
@QuarkusTest
class ConcurrentUploadTest {

  @Test
  void aLosingDuplicateUploadNeverDeletesTheStoredFile() throws Exception {
    Path root =
        Path.of(ConfigProvider.getConfig().getValue("modelfleet.artifact-dir", String.class));
    for (int round = 0; round < 12; round++) {
      String model = Fixtures.modelWithVersion("1");
      byte[] bytes = SampleModels.classifier(9000 + round);
      List<CompletableFuture<io.restassured.response.Response>> uploads = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        uploads.add(
            CompletableFuture.supplyAsync(
                () ->
                    Fixtures.uploadWith(
                        model,
                        "1",
                        java.util.Map.of("precision", "fp32", "executionProvider", "cpu"),
                        bytes)));
      }
      String sha256 = null;
      for (var upload : uploads) {
        var response = upload.get();
        assertTrue(
            response.statusCode() == 201 || response.statusCode() == 409,
            "round " + round + ": " + response.statusCode() + " " + response.asString());
        if (response.statusCode() == 201) {
          sha256 = response.jsonPath().getString("sha256");
        }
      }
      assertTrue(sha256 != null, "round " + round + ": no upload was stored");
      Path file = root.resolve("sha256").resolve(sha256.substring(0, 2)).resolve(sha256);
      assertTrue(
          Files.isRegularFile(file), "round " + round + ": the stored variant's file is gone");
    }
  }
}
