package dev.modelfleet.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.agent.tls.TlsIdentity;
import dev.modelfleet.agent.tls.TlsIdentityStore;
import dev.modelfleet.onnx.samples.SampleModels;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Device certificates that live 20 seconds: the real agent renews its own before expiry, with no
 * operator, reconnects with the new one, and still deploys a model after its first certificate
 * expired (the server refuses an expired certificate, so only the renewed one can do that).
 */
class AgentCertificateRenewalTest {

  @RegisterExtension
  static final RunningFleet running =
      RunningFleet.withServerEnv(Map.of("MODELFLEET_AGENT_TLS_DEVICE_CERTIFICATE_LIFETIME", "20s"));

  @Test
  @Timeout(180)
  void theAgentRenewsItsCertificateBeforeItExpiresAndKeepsWorking() throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    Fleet fleet = running.fleet();
    AgentProcess agent = fleet.startAgent("e2e-renew-" + run, Map.of("renew-run", run));
    TlsIdentityStore store = new TlsIdentityStore(agent.stateDir());
    // the server lists the device as soon as Enroll commits; the agent stores tls.pem right after
    Waits.until(
        "the agent to store its certificate",
        Duration.ofSeconds(30),
        () -> store.exists() ? true : null);
    TlsIdentity first = store.load();
    assertTrue(
        Duration.between(Instant.now(), first.notAfter()).toSeconds() <= 20,
        "the server's short lifetime applies");

    BigInteger firstSerial = first.certificate().getSerialNumber();
    TlsIdentity renewed =
        Waits.until(
            "the agent to renew its certificate (log: " + agent.log() + ")",
            Duration.ofSeconds(40),
            () -> {
              agent.requireAliveFor("renewing");
              try {
                TlsIdentity now = store.load();
                return now.certificate().getSerialNumber().equals(firstSerial) ? null : now;
              } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
    assertTrue(renewed.notAfter().isAfter(first.notAfter()));
    assertTrue(Instant.now().isBefore(first.notAfter()), "renewed before the old one expired");

    // past the first certificate's expiry: a deployment needs a valid certificate on both the
    // Sync stream and FetchArtifact
    Waits.sleep(Duration.between(Instant.now(), first.notAfter()).plusSeconds(1));
    String model = "renewed-" + run;
    fleet.createModel(model);
    fleet.createVersion(model, "1");
    fleet.uploadVariant(model, "1", SampleModels.classifier(5));
    fleet.assign(model, "1", "renew-run=" + run);
    try {
      fleet.awaitActive(model, "1", List.of(agent), Duration.ofMinutes(1), line -> {});
    } catch (IllegalStateException e) {
      throw new AssertionError(
          e.getMessage() + "; the agent's log ends with:\n" + agent.logTail(40), e);
    }
    assertEquals(true, agent.isAlive());

    // a restart reads the renewed key and certificate from tls.pem (no token, no operator)
    agent.kill();
    AgentProcess restarted =
        AgentProcess.start(
            RepoLayout.find(),
            agent.name(),
            running.server().grpcTarget(),
            null,
            running.workDir().resolve("root.pub.pem"),
            agent.stateDir(),
            fleet.withTls());
    try {
      fleet.createVersion(model, "2");
      fleet.uploadVariant(model, "2", SampleModels.classifier(6));
      fleet.assign(model, "2", "renew-run=" + run);
      fleet.awaitActive(model, "2", List.of(restarted), Duration.ofMinutes(1), line -> {});
    } catch (IllegalStateException e) {
      throw new AssertionError(
          e.getMessage() + "; the agent's log ends with:\n" + restarted.logTail(40), e);
    } finally {
      restarted.close();
    }
  }
}
