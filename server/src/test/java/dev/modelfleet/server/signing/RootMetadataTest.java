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
    RootMetadataChain first = started(now);
    RootMetadataChain second = started(now.plusSeconds(60));

    assertArrayEquals(first.rootMetadata().toByteArray(), second.rootMetadata().toByteArray());
    assertArrayEquals(first.rootPublicKey(), second.rootPublicKey());
  }

  @Test
  void reSignedOneVersionUpAfterHalfItsLifetime() throws Exception {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    started(now);
    RootMetadataChain later = started(now.plus(Duration.ofDays(200)));

    RootMetadata metadata = RootMetadata.parseFrom(later.rootMetadata().getPayload());
    assertEquals(2, metadata.getVersion());
    assertEquals(now.plus(Duration.ofDays(200 + 365)).toEpochMilli(), metadata.getExpiresAtMs());
    RootMetadataChain restarted = started(now.plus(Duration.ofDays(201)));
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
    RootMetadataChain running = new RootMetadataChain(config(), ticking, new SigningKeys(config()));
    running.load();
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
    RootRoles.setRole(legacy, "root", java.util.List.of(RootRoles.publicKey(root)), 1);
    RootRoles.setRole(legacy, "targets", java.util.List.of(RootRoles.publicKey(targets)), 1);
    byte[] payload = legacy.build().toByteArray();
    var envelope =
        dev.modelfleet.protocol.agent.v1.SignedEnvelope.newBuilder()
            .setPayloadType(dev.modelfleet.protocol.Dsse.ROOT_METADATA_TYPE)
            .setPayload(com.google.protobuf.ByteString.copyFrom(payload))
            .addSignatures(
                dev.modelfleet.protocol.agent.v1.Signature.newBuilder()
                    .setKeyId(RootRoles.publicKey(root).getKeyId())
                    .setSignature(
                        com.google.protobuf.ByteString.copyFrom(
                            Ed25519Keys.sign(
                                root,
                                dev.modelfleet.protocol.Dsse.preAuthEncoding(
                                    dev.modelfleet.protocol.Dsse.ROOT_METADATA_TYPE, payload)))))
            .build();
    java.nio.file.Files.write(
        dir.resolve(RootMetadataChain.LEGACY_ROOT_METADATA_FILE), envelope.toByteArray());

    RootMetadataChain service = started(Instant.parse("2026-01-01T00:00:00Z"));

    var chain = service.rootChain();
    assertEquals(java.util.List.of(4L, 5L), chain.stream().map(RootChainFiles::version).toList());
    RootMetadata current = RootChainFiles.metadata(chain.get(1));
    assertEquals(
        java.util.List.of("root", "targets", "director"),
        current.getRolesList().stream().map(r -> r.getRole()).toList());
    assertArrayEquals(Ed25519Keys.spki(root.generatePublicKey()), service.rootPublicKey());
    // a desired state is now signed by the director key, not targets
    var signed =
        signer(service)
            .signWithDirector(
                dev.modelfleet.protocol.Dsse.DESIRED_STATE_TYPE,
                dev.modelfleet.protocol.agent.v1.DesiredState.newBuilder()
                    .setGeneration(1)
                    .build());
    assertEquals(
        RootRoles.role(current, "director").orElseThrow().getKeyIds(0),
        signed.getSignatures(0).getKeyId());
  }

  /** Without root.key the server serves what it has and keeps signing with the online keys. */
  @Test
  void withTheRootKeyOfflineNothingIsReSignedAndTheOnlineKeysStillSign() throws Exception {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    RootMetadataChain first = started(now);
    java.nio.file.Files.delete(keyDir.resolve("keys").resolve("root.key"));

    RootMetadataChain later = started(now.plus(Duration.ofDays(200)));

    assertEquals(false, later.rootKeyOnline());
    assertArrayEquals(first.rootMetadata().toByteArray(), later.rootMetadata().toByteArray());
    signer(later)
        .signWithTargets(
            dev.modelfleet.protocol.Dsse.VARIANT_MANIFEST_TYPE,
            dev.modelfleet.protocol.agent.v1.VariantManifest.newBuilder().setModel("m").build());
    signer(later)
        .signWithDirector(
            dev.modelfleet.protocol.Dsse.DESIRED_STATE_TYPE,
            dev.modelfleet.protocol.agent.v1.DesiredState.newBuilder().setGeneration(1).build());
  }

  private RootMetadataChain started(Instant now) {
    RootMetadataChain chain =
        new RootMetadataChain(
            config(), Clock.fixed(now, ZoneOffset.UTC), new SigningKeys(config()));
    chain.load();
    return chain;
  }

  /** What signs documents against {@code chain}, with the keys of the same key directory. */
  private Signer signer(RootMetadataChain chain) {
    SigningKeys keys = new SigningKeys(config());
    try {
      keys.open();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return new Signer(
        chain, keys, config(), new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
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
