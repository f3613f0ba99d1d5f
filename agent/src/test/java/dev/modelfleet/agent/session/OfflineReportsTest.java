package dev.modelfleet.agent.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DeploymentState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reports made offline survive a restart, stay bounded (newest kept) and go out once. */
class OfflineReportsTest {

  @TempDir Path dir;

  private static DeploymentProgress report(String version, DeploymentState state) {
    return DeploymentProgress.newBuilder()
        .setModel("m")
        .setVersion(version)
        .setState(state)
        .setBundleId("b")
        .build();
  }

  @Test
  void outcomesSurviveARestartAndAreSentOnceOldestFirst() {
    OfflineReports queue = new OfflineReports(dir, 10);
    queue.add(report("1", DeploymentState.DEPLOYMENT_STATE_DOWNLOADING));
    queue.add(report("1", DeploymentState.DEPLOYMENT_STATE_ACTIVE));
    queue.add(report("2", DeploymentState.DEPLOYMENT_STATE_FAILED));

    OfflineReports afterRestart = new OfflineReports(dir, 10);
    List<DeploymentProgress> sent = new ArrayList<>();
    afterRestart.drain(sent::add);
    assertEquals(List.of("1", "2"), sent.stream().map(DeploymentProgress::getVersion).toList());
    assertEquals(0, new OfflineReports(dir, 10).size(), "sent reports are forgotten");
  }

  @Test
  void beyondItsCapacityTheOldestGo() {
    OfflineReports queue = new OfflineReports(dir, 3);
    for (int i = 1; i <= 5; i++) {
      queue.add(report(String.valueOf(i), DeploymentState.DEPLOYMENT_STATE_ACTIVE));
    }
    List<DeploymentProgress> sent = new ArrayList<>();
    new OfflineReports(dir, 3).drain(sent::add);
    assertEquals(
        List.of("3", "4", "5"), sent.stream().map(DeploymentProgress::getVersion).toList());
  }

  @Test
  void reportsASessionFailedToSendStayQueuedForTheNextOne() {
    OfflineReports queue = new OfflineReports(dir, 10);
    for (int i = 1; i <= 3; i++) {
      queue.add(report(String.valueOf(i), DeploymentState.DEPLOYMENT_STATE_ACTIVE));
    }
    List<DeploymentProgress> sent = new ArrayList<>();
    RuntimeException broken =
        assertThrows(
            RuntimeException.class,
            () ->
                queue.drain(
                    p -> {
                      if (p.getVersion().equals("2")) {
                        throw new IllegalStateException("stream closed");
                      }
                      sent.add(p);
                    }));
    assertEquals("stream closed", broken.getMessage());
    assertEquals(List.of("1"), sent.stream().map(DeploymentProgress::getVersion).toList());

    List<DeploymentProgress> later = new ArrayList<>();
    new OfflineReports(dir, 10).drain(later::add);
    assertEquals(
        List.of("2", "3"),
        later.stream().map(DeploymentProgress::getVersion).toList(),
        "kept across a restart too");
  }

  @Test
  void reportsAreNumberedAndForgottenOnlyUpToTheAcknowledgedOneAcrossRestarts() {
    OfflineReports queue = new OfflineReports(dir, 10);
    DeploymentProgress one = queue.add(report("1", DeploymentState.DEPLOYMENT_STATE_ACTIVE));
    DeploymentProgress two = queue.add(report("2", DeploymentState.DEPLOYMENT_STATE_FAILED));
    DeploymentProgress three = queue.add(report("3", DeploymentState.DEPLOYMENT_STATE_ACTIVE));
    assertEquals(
        List.of(1L, 2L, 3L), List.of(one, two, three).stream().map(p -> p.getReportSeq()).toList());
    assertEquals(one.getReportQueue(), three.getReportQueue());

    List<DeploymentProgress> resent = new ArrayList<>();
    queue.resend(resent::add);
    assertEquals(List.of(one, two, three), resent);
    assertEquals(3, queue.size(), "a resend keeps them");

    queue.acknowledge("another-queue", 3);
    assertEquals(3, queue.size(), "an ack of another queue changes nothing");
    queue.acknowledge(one.getReportQueue(), 2);
    OfflineReports afterRestart = new OfflineReports(dir, 10);
    assertEquals(List.of(three), afterRestart.pending());

    afterRestart.acknowledge(one.getReportQueue(), 3);
    DeploymentProgress four =
        new OfflineReports(dir, 10).add(report("4", DeploymentState.DEPLOYMENT_STATE_ACTIVE));
    assertEquals(4, four.getReportSeq(), "numbers go on after every report was acknowledged");
    assertEquals(one.getReportQueue(), four.getReportQueue(), "one queue per state directory");
  }

  @Test
  void aReportNeverAcknowledgedIsGivenUpAfterItsLastSendSoItHoldsNothingBack() {
    OfflineReports queue = new OfflineReports(dir, 10);
    DeploymentProgress poison = queue.add(report("1", DeploymentState.DEPLOYMENT_STATE_ACTIVE));
    List<DeploymentProgress> sent = new ArrayList<>();
    for (int stream = 1; stream <= OfflineReports.MAX_SENDS; stream++) {
      queue.resend(sent::add); // each stream is closed before any ack comes
    }
    assertEquals(OfflineReports.MAX_SENDS, sent.size());
    DeploymentProgress next = queue.add(report("2", DeploymentState.DEPLOYMENT_STATE_ACTIVE));

    sent.clear();
    queue.resend(sent::add);

    assertEquals(List.of(next), sent, "the unstorable report is dropped, the next one goes");
    assertEquals(List.of(next), new OfflineReports(dir, 10).pending(), "and stays dropped");
    assertEquals(1, poison.getReportSeq());
  }

  @Test
  void aQueueFromBeforeNumberingIsNumberedAndMovedOver() throws Exception {
    java.io.ByteArrayOutputStream legacy = new java.io.ByteArrayOutputStream();
    report("1", DeploymentState.DEPLOYMENT_STATE_ACTIVE).writeDelimitedTo(legacy);
    report("2", DeploymentState.DEPLOYMENT_STATE_FAILED).writeDelimitedTo(legacy);
    java.nio.file.Files.write(dir.resolve(OfflineReports.LEGACY_FILE), legacy.toByteArray());

    OfflineReports queue = new OfflineReports(dir, 10);
    assertEquals(List.of(1L, 2L), queue.pending().stream().map(p -> p.getReportSeq()).toList());
    assertEquals(
        List.of("1", "2"), queue.pending().stream().map(DeploymentProgress::getVersion).toList());
    assertEquals(false, java.nio.file.Files.exists(dir.resolve(OfflineReports.LEGACY_FILE)));
    assertEquals(queue.pending(), new OfflineReports(dir, 10).pending());
  }
}
