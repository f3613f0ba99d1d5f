package dev.modelfleet.agent.attack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.agent.attack.ArtifactServer.Transport;
import dev.modelfleet.agent.runtime.ort.OrtModelLoader;
import dev.modelfleet.onnx.samples.SampleModels;
import dev.modelfleet.onnx.testing.HostileModels;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A hostile model: validly signed (the repository or an operator account was fooled), but its
 * weights are "external data" at a file of the device's; ONNX Runtime would read the file and
 * return it as the model's output to any local caller. End to end on ONNX Runtime's loader, whose
 * safety check is what refuses it, against a device that serves a real classifier.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class HostileModelAttackTest {

  static final String MODEL = "classifier";

  @TempDir Path stateDir;
  final RepositorySimulator repository = new RepositorySimulator(3, 2);
  final byte[] v1 = SampleModels.classifier(1);
  ArtifactServer server;
  DeviceUnderAttack device;
  float[] v1Output;

  @BeforeEach
  void deviceServesVersionOne() throws Exception {
    server = new ArtifactServer();
    server.put(v1);
    device =
        new DeviceUnderAttack(
            stateDir, repository, server.source(Transport.HTTP), new OrtModelLoader(1));
    assertTrue(
        device.apply(
            repository.signDesired(
                repository.desiredState(
                    repository.desiredModel(repository.manifest(MODEL, "1", v1))))));
    v1Output = device.infer(MODEL);
  }

  @AfterEach
  void close() {
    device.close();
    server.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"absolute", "../identity/device.key", "beside"})
  void aSignedModelReadingADeviceFileIsRefusedBeforeOnnxRuntimeSeesIt(String location)
      throws Exception {
    Path identity = Files.createDirectories(stateDir.resolve("identity"));
    Path key = Files.writeString(identity.resolve("device.key"), "-----BEGIN PRIVATE KEY-----");
    String target =
        switch (location) {
          case "absolute" -> key.toAbsolutePath().toString();
          case "beside" -> Dsse.sha256Hex(v1) + ".onnx"; // another artifact in the same folder
          default -> location;
        };
    byte[] hostile =
        HostileModels.externalData(HostileModels.Hideout.SUBGRAPH, target, Files.size(key));
    server.put(hostile);
    assertTrue(
        device.apply(
            repository.signDesired(
                repository.desiredState(
                    repository.desiredModel(repository.manifest(MODEL, "2", hostile))))),
        "the document is genuine; the model in it is refused");
    DeploymentProgress failure = device.failure();
    assertEquals("model-external-data", failure.getReasonCode(), failure.getReason());
    assertEquals("1", device.registry.peek(MODEL).version());
    assertArrayEquals(v1Output, device.infer(MODEL), "version 1 answers as before");
    assertEquals(Dsse.sha256Hex(v1), device.store.current().active(MODEL).sha256());
  }
}
