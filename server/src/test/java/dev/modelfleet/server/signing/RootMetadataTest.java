package dev.modelfleet.server.signing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.modelfleet.protocol.agent.v1.RootMetadata;
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
    Clock ticking =
        new Clock() {
          public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
          }

          public Clock withZone(java.time.ZoneId zone) {
            return this;
          }

          public Instant instant() {
            return now[0];
          }
        };
    SigningService running = new SigningService(config(), ticking);
    running.loadKeys();
    assertEquals(1, RootMetadata.parseFrom(running.rootMetadata().getPayload()).getVersion());

    now[0] = start.plus(Duration.ofDays(200)); // no restart in between

    RootMetadata metadata = RootMetadata.parseFrom(running.rootMetadata().getPayload());
    assertEquals(2, metadata.getVersion());
    assertEquals(now[0].plus(Duration.ofDays(365)).toEpochMilli(), metadata.getExpiresAtMs());
    // another replica on the same key directory picks the renewed document up
    assertEquals(
        2,
        RootMetadata.parseFrom(started(now[0].plusSeconds(1)).rootMetadata().getPayload())
            .getVersion());
  }

  /** A key directory from before root rotation: its one document starts the chain. */
  @Test
  void aServerFromBeforeRotationKeepsItsRootAndAddsTheDirectorOneVersionUp() throws Exception {
    Path dir = keyDir.resolve("keys");
    java.nio.file.Files.createDirectories(dir);
    var root = Ed25519Keys.generate();
    var targets = Ed25519Keys.generate();
    java.nio.file.Files.writeString(dir.resolve("root.key"), Ed25519Keys.privateKeyPem(root));
    java.nio.file.Files.writeString(dir.resolve("targets.key"), Ed25519Keys.privateKeyPem(targets));
    RootMetadata.Builder legacy =
        RootMetadata.newBuilder()
            .setVersion(4)
            .setExpiresAtMs(Instant.parse("2026-06-01T00:00:00Z").toEpochMilli());
    SigningService.setRole(legacy, "root", java.util.List.of(SigningService.publicKey(root)), 1);
    SigningService.setRole(
        legacy, "targets", java.util.List.of(SigningService.publicKey(targets)), 1);
    byte[] payload = legacy.build().toByteArray();
    var envelope =
        dev.modelfleet.protocol.agent.v1.SignedEnvelope.newBuilder()
            .setPayloadType(dev.modelfleet.protocol.Dsse.ROOT_METADATA_TYPE)
            .setPayload(com.google.protobuf.ByteString.copyFrom(payload))
            .addSignatures(
                dev.modelfleet.protocol.agent.v1.Signature.newBuilder()
                    .setKeyId(SigningService.publicKey(root).getKeyId())
                    .setSignature(
                        com.google.protobuf.ByteString.copyFrom(
                            Ed25519Keys.sign(
                                root,
                                dev.modelfleet.protocol.Dsse.preAuthEncoding(
                                    dev.modelfleet.protocol.Dsse.ROOT_METADATA_TYPE, payload)))))
            .build();
    java.nio.file.Files.write(
        dir.resolve(SigningService.LEGACY_ROOT_METADATA_FILE), envelope.toByteArray());

    SigningService service = started(Instant.parse("2026-01-01T00:00:00Z"));

    var chain = service.rootChain();
    assertEquals(java.util.List.of(4L, 5L), chain.stream().map(RootChainFiles::version).toList());
    RootMetadata current = RootChainFiles.metadata(chain.get(1));
    assertEquals(
        java.util.List.of("root", "targets", "director"),
        current.getRolesList().stream().map(r -> r.getRole()).toList());
    assertArrayEquals(Ed25519Keys.spki(root.generatePublicKey()), service.rootPublicKey());
    // a desired state is now signed by the director key, not targets
    var signed =
        service.signWithDirector(
            dev.modelfleet.protocol.Dsse.DESIRED_STATE_TYPE,
            dev.modelfleet.protocol.agent.v1.DesiredState.newBuilder().setGeneration(1).build());
    assertEquals(
        SigningService.role(current, "director").orElseThrow().getKeyIds(0),
        signed.getSignatures(0).getKeyId());
  }

  /** Without root.key the server serves what it has and keeps signing with the online keys. */
  @Test
  void withTheRootKeyOfflineNothingIsReSignedAndTheOnlineKeysStillSign() throws Exception {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    SigningService first = started(now);
    java.nio.file.Files.delete(keyDir.resolve("keys").resolve("root.key"));

    SigningService later = started(now.plus(Duration.ofDays(200)));

    assertEquals(false, later.rootKeyOnline());
    assertArrayEquals(first.rootMetadata().toByteArray(), later.rootMetadata().toByteArray());
    later.signWithTargets(
        dev.modelfleet.protocol.Dsse.VARIANT_MANIFEST_TYPE,
        dev.modelfleet.protocol.agent.v1.VariantManifest.newBuilder().setModel("m").build());
    later.signWithDirector(
        dev.modelfleet.protocol.Dsse.DESIRED_STATE_TYPE,
        dev.modelfleet.protocol.agent.v1.DesiredState.newBuilder().setGeneration(1).build());
  }

  private SigningService started(Instant now) {
    SigningService service = new SigningService(config(), Clock.fixed(now, ZoneOffset.UTC));
    service.loadKeys();
    return service;
  }

  private ModelFleetConfig config() {
    return new ModelFleetConfig() {
      public Path keyDir() {
        return keyDir.resolve("keys");
      }

      public Path artifactDir() {
        return keyDir.resolve("artifacts");
      }

      public Duration heartbeatInterval() {
        return Duration.ofSeconds(15);
      }

      public Duration desiredStateTtl() {
        return Duration.ofDays(7);
      }

      public Duration rootMetadataTtl() {
        return Duration.ofDays(365);
      }

      public Duration manifestTtl() {
        return Duration.ofDays(365);
      }

      public java.util.Optional<String> artifactBaseUrl() {
        return java.util.Optional.empty();
      }
    };
  }
}
