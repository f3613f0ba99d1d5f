package dev.modelfleet.server.agentapi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.modelfleet.onnx.samples.SampleModels;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.Fixtures;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
class FetchArtifactTest {

  private static final int MIB = 1024 * 1024;

  /** About 2.5 MiB, so a download takes three chunks; made once, stored once. */
  private static final byte[] LARGE_MODEL = SampleModels.classifier(42, 640, 1024, 3);

  AgentClient agent;
  EnrollResponse device;
  Fixtures.Published published;

  @BeforeEach
  void assignLargeModel() throws Exception {
    agent = new AgentClient();
    device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
    byte[] bytes = LARGE_MODEL;
    String model = Fixtures.modelWithVersion("1.0.0");
    var variant = Fixtures.upload(model, "1.0.0", "fp32", "cpu", bytes);
    published =
        new Fixtures.Published(
            model, "1.0.0", variant.getString("id"), variant.getString("sha256"), bytes);
    SyncTest.AssignmentTestSupport.assign(published, device.getDeviceId());
  }

  @AfterEach
  void disconnect() throws InterruptedException {
    agent.close();
  }

  @Test
  void wholeArtifactInOrderedChunks() {
    List<Long> offsets = new ArrayList<>();
    byte[] received =
        AgentClient.concat(
            agent.fetch(device.getDeviceCredential(), published.sha256(), 0), offsets);
    assertArrayEquals(published.bytes(), received);
    assertEquals(List.of(0L, (long) MIB, 2L * MIB), offsets);
  }

  /** A client that takes one chunk at a time, slowly: the server must wait, not buffer. */
  @Test
  void respectsClientFlowControl() throws Exception {
    var received = new java.io.ByteArrayOutputStream();
    var done = new java.util.concurrent.CompletableFuture<Void>();
    agent
        .asDevice(device.getDeviceCredential())
        .fetchArtifact(
            dev.modelfleet.protocol.agent.v1.FetchArtifactRequest.newBuilder()
                .setSha256(published.sha256())
                .build(),
            new io.grpc.stub.ClientResponseObserver<
                dev.modelfleet.protocol.agent.v1.FetchArtifactRequest,
                dev.modelfleet.protocol.agent.v1.ArtifactChunk>() {
              io.grpc.stub.ClientCallStreamObserver<?> call;

              @Override
              public void beforeStart(
                  io.grpc.stub.ClientCallStreamObserver<
                          dev.modelfleet.protocol.agent.v1.FetchArtifactRequest>
                      call) {
                this.call = call;
                call.disableAutoRequestWithInitial(1);
              }

              @Override
              public void onNext(dev.modelfleet.protocol.agent.v1.ArtifactChunk chunk) {
                received.writeBytes(chunk.getData().toByteArray());
                try {
                  Thread.sleep(100);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
                call.request(1);
              }

              @Override
              public void onError(Throwable t) {
                done.completeExceptionally(t);
              }

              @Override
              public void onCompleted() {
                done.complete(null);
              }
            });
    done.get(30, java.util.concurrent.TimeUnit.SECONDS);
    assertArrayEquals(published.bytes(), received.toByteArray());
  }

  @Test
  void resumesFromTheMiddle() {
    int offset = published.bytes().length / 2 + 17;
    List<Long> offsets = new ArrayList<>();
    byte[] received =
        AgentClient.concat(
            agent.fetch(device.getDeviceCredential(), published.sha256(), offset), offsets);
    assertArrayEquals(
        Arrays.copyOfRange(published.bytes(), offset, published.bytes().length), received);
    assertEquals(offset, offsets.get(0));
  }

  @Test
  void aStreamEndsWhereTheDeviceAskedItToEnd() {
    int offset = MIB - 5;
    long end = 2L * MIB + 3; // across two chunk borders, as a day's allowance falls anywhere
    List<Long> offsets = new ArrayList<>();
    byte[] received =
        AgentClient.concat(
            agent.fetch(device.getDeviceCredential(), published.sha256(), offset, end), offsets);
    assertArrayEquals(Arrays.copyOfRange(published.bytes(), offset, (int) end), received);
    assertEquals(List.of((long) offset, (long) offset + MIB), offsets);

    byte[] rest =
        AgentClient.concat(
            agent.fetch(
                device.getDeviceCredential(),
                published.sha256(),
                end,
                published.bytes().length + 100L),
            new ArrayList<>());
    assertArrayEquals(
        Arrays.copyOfRange(published.bytes(), (int) end, published.bytes().length),
        rest,
        "an end beyond the artifact is its end");
    StatusRuntimeException backwards =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                agent
                    .fetch(device.getDeviceCredential(), published.sha256(), end, end - 1)
                    .hasNext());
    assertEquals(
        Status.Code.OUT_OF_RANGE, backwards.getStatus().getCode(), "an end before the offset");
  }

  @Test
  void offsetAtTheEndSendsNothing() {
    byte[] received =
        AgentClient.concat(
            agent.fetch(device.getDeviceCredential(), published.sha256(), published.bytes().length),
            new ArrayList<>());
    assertEquals(0, received.length);
  }

  @Test
  void offsetsOutsideTheArtifactAreOutOfRange() {
    assertFetchFails(Status.Code.OUT_OF_RANGE, published.sha256(), -1);
    assertFetchFails(Status.Code.OUT_OF_RANGE, published.sha256(), published.bytes().length + 1);
    assertFetchFails(Status.Code.OUT_OF_RANGE, published.sha256(), Long.MAX_VALUE);
    assertFetchFails(Status.Code.OUT_OF_RANGE, published.sha256(), Long.MIN_VALUE);
  }

  @Test
  void malformedShaIsInvalidArgument() {
    assertFetchFails(Status.Code.INVALID_ARGUMENT, published.sha256().toUpperCase(), 0);
    assertFetchFails(Status.Code.INVALID_ARGUMENT, "abc", 0);
  }

  @Test
  void artifactsNotAssignedToTheDeviceAreNotFound() {
    var other = Fixtures.publishedClassifier(System.nanoTime());
    assertFetchFails(Status.Code.NOT_FOUND, other.sha256(), 0);
    assertFetchFails(Status.Code.NOT_FOUND, "0".repeat(64), 0);
  }

  @Test
  void needsCredential() {
    StatusRuntimeException e =
        assertThrows(
            StatusRuntimeException.class,
            () -> agent.fetch("nope", published.sha256(), 0).hasNext());
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
  }

  private void assertFetchFails(Status.Code code, String sha256, long offset) {
    StatusRuntimeException e =
        assertThrows(
            StatusRuntimeException.class,
            () -> agent.fetch(device.getDeviceCredential(), sha256, offset).hasNext());
    assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
  }
}
