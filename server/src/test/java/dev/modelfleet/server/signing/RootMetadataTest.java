package dev.modelfleet.server.signing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.modelfleet.agent.v1.RootMetadata;
import dev.modelfleet.server.common.ModelFleetConfig;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RootMetadataTest {

  @TempDir Path keyDir;

  @Test
  void replicasOnOneKeyDirectoryServeTheSameDocument() {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    SigningService first = started(now);
    SigningService second = started(now.plusSeconds(60));

    assertArrayEquals(first.rootMetadata().toByteArray(), second.rootMetadata().toByteArray());
    assertArrayEquals(first.rootPublicKey(), second.rootPublicKey());
  }

  @Test
  void reSignedOneVersionUpAfterHalfItsLifetime() throws Exception {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    started(now);
    SigningService later = started(now.plus(Duration.ofDays(200)));

    RootMetadata metadata = RootMetadata.parseFrom(later.rootMetadata().getPayload());
    assertEquals(2, metadata.getVersion());
    assertEquals(now.plus(Duration.ofDays(200 + 365)).toEpochMilli(), metadata.getExpiresAtMs());
    SigningService restarted = started(now.plus(Duration.ofDays(201)));
    assertEquals(2, RootMetadata.parseFrom(restarted.rootMetadata().getPayload()).getVersion());
  }

  @Test
  void aServerThatKeepsRunningReSignsItBeforeItExpires() throws Exception {
    Instant start = Instant.parse("2026-01-01T00:00:00Z");
    Instant[] now = {start};
    Clock ticking = new Clock() {
      public java.time.ZoneId getZone() { return ZoneOffset.UTC; }
      public Clock withZone(java.time.ZoneId zone) { return this; }
      public Instant instant() { return now[0]; }
    };
    SigningService running = new SigningService(config(), ticking);
    running.loadKeys();
    assertEquals(1, RootMetadata.parseFrom(running.rootMetadata().getPayload()).getVersion());

    now[0] = start.plus(Duration.ofDays(200)); // no restart in between

    RootMetadata metadata = RootMetadata.parseFrom(running.rootMetadata().getPayload());
    assertEquals(2, metadata.getVersion());
    assertEquals(now[0].plus(Duration.ofDays(365)).toEpochMilli(), metadata.getExpiresAtMs());
    // another replica on the same key directory picks the renewed document up
    assertEquals(2, RootMetadata.parseFrom(started(now[0].plusSeconds(1)).rootMetadata().getPayload())
        .getVersion());
  }

  private SigningService started(Instant now) {
    SigningService service = new SigningService(config(), Clock.fixed(now, ZoneOffset.UTC));
    service.loadKeys();
    return service;
  }

  private ModelFleetConfig config() {
    return new ModelFleetConfig() {
      public String adminToken() { return "x"; }
      public Path keyDir() { return keyDir.resolve("keys"); }
      public Path artifactDir() { return keyDir.resolve("artifacts"); }
      public Duration heartbeatInterval() { return Duration.ofSeconds(15); }
      public Duration desiredStateTtl() { return Duration.ofDays(7); }
      public Duration rootMetadataTtl() { return Duration.ofDays(365); }
      public java.util.Optional<String> artifactBaseUrl() { return java.util.Optional.empty(); }
    };
  }
}
