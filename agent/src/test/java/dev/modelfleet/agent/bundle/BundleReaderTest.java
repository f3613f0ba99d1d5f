package dev.modelfleet.agent.bundle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.agent.testing.FleetFixture;
import dev.modelfleet.agent.trust.RootPin;
import dev.modelfleet.agent.trust.VerificationException;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.ArtifactDelta;
import dev.modelfleet.protocol.agent.v1.BundleEntry;
import dev.modelfleet.protocol.agent.v1.BundleIndex;
import dev.modelfleet.protocol.agent.v1.ClassDesiredState;
import dev.modelfleet.protocol.agent.v1.DesiredModel;
import dev.modelfleet.protocol.agent.v1.DesiredState;
import dev.modelfleet.protocol.agent.v1.RootUpdate;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundle reader on bundles built here with real signatures: a good one yields this device's
 * document and stages only its artifacts; every way of damaging or forging one is refused with its
 * reason, and nothing is staged beyond the staging folder.
 */
class BundleReaderTest {

  private final FleetFixture fleet = new FleetFixture();
  private final byte[] model =
      "pretend these are onnx bytes".repeat(100).getBytes(StandardCharsets.UTF_8);
  private final byte[] otherModel =
      "another device's model".repeat(50).getBytes(StandardCharsets.UTF_8);

  @TempDir Path dir;

  @Test
  void aBundleThatMatchesItsIndexYieldsThisDevicesDocumentAndOnlyItsArtifacts() throws Exception {
    VerifiedBundle bundle = read(builder().build());
    assertEquals(
        FleetFixture.DEVICE_ID,
        DesiredState.parseFrom(bundle.desiredState().getPayload()).getDeviceId());
    assertEquals(1, bundle.artifacts().size(), "the other device's artifact is not kept");
    assertArrayEquals(model, Files.readAllBytes(bundle.artifacts().get(Dsse.sha256Hex(model))));
    assertTrue(bundle.newerRoots().isEmpty());
  }

  @Test
  void aChangedByteInAnArtifactIsRefused() throws Exception {
    byte[] tar = builder().build();
    int at = indexOf(tar, model) + 7;
    tar[at] ^= 1;
    assertRefused(tar, BundleReader.ENTRY_MISMATCH);
  }

  @Test
  void aBundleCutShortIsRefusedWhereverItEnds() throws Exception {
    byte[] tar = builder().build();
    for (int length : new int[] {0, 100, 600, tar.length / 2, tar.length - 1100, tar.length - 1}) {
      byte[] cut = Arrays.copyOf(tar, length);
      VerificationException e =
          assertThrows(VerificationException.class, () -> read(cut), "cut at " + length);
      assertTrue(
          e.reasonCode().equals(TarReader.TRUNCATED) || e.reasonCode().equals(TarReader.MALFORMED),
          length + ": " + e.reasonCode() + " " + e.getMessage());
    }
  }

  @Test
  void anotherFleetsBundleIsRefusedAsForeign() throws Exception {
    FleetFixture other = new FleetFixture();
    byte[] tar = new Builder(other).device(FleetFixture.DEVICE_ID, model).build();
    assertRefused(tar, BundleReader.FOREIGN_FLEET);
  }

  @Test
  void anIndexNotSignedByTheDirectorKeysIsRefused() throws Exception {
    Builder b = builder();
    b.indexKey = fleet.root; // a root key is not a director (here: targets) key
    VerificationException e = assertThrows(VerificationException.class, () -> read(b.build()));
    assertTrue(e.getMessage().contains("bundle index"), e.getMessage());
  }

  @Test
  void anEntryTheIndexDoesNotListIsRefused() throws Exception {
    Builder b = builder();
    b.extra = true;
    assertRefused(b.build(), BundleReader.UNLISTED);
  }

  @Test
  void anExpiredBundleIsRefused() throws Exception {
    Builder b = builder();
    b.expiresAtMs = System.currentTimeMillis() - 1000;
    assertRefused(b.build(), BundleReader.EXPIRED);
  }

  @Test
  void aBundleForOtherDevicesOnlyIsRefused() throws Exception {
    byte[] tar = new Builder(fleet).device("dev-other", otherModel).build();
    assertRefused(tar, BundleReader.NOT_FOR_DEVICE);
  }

  @Test
  void aDeviceTheBundleDoesNotNameTakesTheStateOfItsHardwareClass() throws Exception {
    byte[] tar =
        new Builder(fleet)
            .device("dev-other", otherModel)
            .hardwareClass("00aa11bb22cc33dd", otherModel)
            .hardwareClass(CLASS, model)
            .build();
    VerifiedBundle bundle = read(tar, CLASS);
    assertTrue(bundle.forClass());
    assertEquals(
        CLASS, ClassDesiredState.parseFrom(bundle.desiredState().getPayload()).getHardwareClass());
    assertEquals(1, bundle.artifacts().size(), "only its class's artifact is kept");
    assertArrayEquals(model, Files.readAllBytes(bundle.artifacts().get(Dsse.sha256Hex(model))));
  }

  @Test
  void aDevicesOwnStateWinsOverItsClasss() throws Exception {
    byte[] tar =
        new Builder(fleet)
            .device(FleetFixture.DEVICE_ID, model)
            .hardwareClass(CLASS, otherModel)
            .build();
    VerifiedBundle bundle = read(tar, CLASS);
    assertTrue(!bundle.forClass());
    assertEquals(java.util.Set.of(Dsse.sha256Hex(model)), bundle.artifacts().keySet());
  }

  @Test
  void aBundleForAnotherClassOnlyIsRefused() throws Exception {
    byte[] tar = new Builder(fleet).hardwareClass("00aa11bb22cc33dd", model).build();
    VerificationException e = assertThrows(VerificationException.class, () -> read(tar, CLASS));
    assertEquals(BundleReader.NOT_FOR_DEVICE, e.reasonCode(), e.getMessage());
    assertTrue(e.getMessage().contains(CLASS), e.getMessage());
  }

  @Test
  void theDeltaADevicesStateOffersIsStagedInsteadOfTheWholeArtifact() throws Exception {
    byte[] delta = "a delta's bytes".repeat(10).getBytes(StandardCharsets.UTF_8);
    DesiredModel offered =
        fleet.desiredModel("m", "2", model).toBuilder()
            .setDelta(
                ArtifactDelta.newBuilder()
                    .setBaseSha256(Dsse.sha256Hex(otherModel))
                    .setBaseSize(otherModel.length)
                    .setSha256(Dsse.sha256Hex(delta))
                    .setSize(delta.length))
            .build();
    Builder b = new Builder(fleet);
    b.documents.put(
        "devices/" + FleetFixture.DEVICE_ID + ".dsse",
        fleet.signDesired(fleet.desiredState(offered)).toByteArray());
    b.artifacts.put("artifacts/" + Dsse.sha256Hex(delta), delta);
    VerifiedBundle bundle = read(b.build());
    assertArrayEquals(delta, Files.readAllBytes(bundle.artifacts().get(Dsse.sha256Hex(delta))));
    assertEquals(1, bundle.artifacts().size());
  }

  @Test
  void aDeviceNotEnrolledTrustsTheBundlesChainFromItsPinnedKeysOnly() throws Exception {
    byte[] tar = new Builder(fleet).hardwareClass(CLASS, model).build();
    VerifiedBundle bundle = readUnenrolled(tar, RootPin.of(fleet.rootKeySpki()));
    assertTrue(bundle.forClass());
    assertEquals(1, bundle.root().version());
    VerificationException foreign =
        assertThrows(
            VerificationException.class,
            () -> readUnenrolled(tar, RootPin.of(new FleetFixture().rootKeySpki())));
    assertEquals(BundleReader.FOREIGN_FLEET, foreign.reasonCode(), foreign.getMessage());
  }

  private VerifiedBundle readUnenrolled(byte[] tar, RootPin pin)
      throws IOException, VerificationException {
    Path file = Files.createTempFile(dir, "bundle", ".tar");
    Files.write(file, tar);
    Path staging = Files.createTempDirectory(dir, "staging");
    return new BundleReader(pin, null, "", CLASS, System.currentTimeMillis()).read(file, staging);
  }

  private static final String CLASS = "0123456789abcdef";

  private Builder builder() {
    return new Builder(fleet).device(FleetFixture.DEVICE_ID, model).device("dev-other", otherModel);
  }

  private void assertRefused(byte[] tar, String reason) {
    VerificationException e = assertThrows(VerificationException.class, () -> read(tar));
    assertEquals(reason, e.reasonCode(), e.getMessage());
  }

  private VerifiedBundle read(byte[] tar) throws IOException, VerificationException {
    return read(tar, "");
  }

  private VerifiedBundle read(byte[] tar, String hardwareClass)
      throws IOException, VerificationException {
    Path file = Files.createTempFile(dir, "bundle", ".tar");
    Files.write(file, tar);
    Path staging = Files.createTempDirectory(dir, "staging");
    return new BundleReader(
            RootPin.of(fleet.rootKeySpki()),
            fleet.trustedRoot(),
            FleetFixture.DEVICE_ID,
            hardwareClass,
            System.currentTimeMillis())
        .read(file, staging);
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new AssertionError("not found");
  }

  /** Builds a bundle as the server does: root chain, signed index, documents, artifacts. */
  static final class Builder {
    private final FleetFixture fleet;
    final Map<String, byte[]> documents = new LinkedHashMap<>();
    final Map<String, byte[]> artifacts = new LinkedHashMap<>();
    KeyPair indexKey;
    long expiresAtMs = System.currentTimeMillis() + 3_600_000;
    boolean extra;

    Builder(FleetFixture fleet) {
      this.fleet = fleet;
      this.indexKey = fleet.targets;
    }

    Builder device(String id, byte[] artifact) {
      SignedEnvelope doc =
          fleet.signDesired(
              fleet.desiredState(fleet.desiredModel("m", "1", artifact)).setDeviceId(id));
      documents.put("devices/" + id + ".dsse", doc.toByteArray());
      artifacts.put("artifacts/" + Dsse.sha256Hex(artifact), artifact);
      return this;
    }

    /** A class state, as the server signs it: no device id, its own payload type. */
    Builder hardwareClass(String classId, byte[] artifact) {
      DesiredState.Builder state =
          fleet
              .desiredState(fleet.desiredModel("m", "1", artifact))
              .setDeviceId("")
              .setGeneration(0);
      SignedEnvelope doc =
          FleetFixture.sign(
              ClassDesiredState.newBuilder().setHardwareClass(classId).setState(state).build(),
              Dsse.CLASS_DESIRED_STATE_TYPE,
              fleet.targets);
      documents.put("classes/" + classId + ".dsse", doc.toByteArray());
      artifacts.putIfAbsent("artifacts/" + Dsse.sha256Hex(artifact), artifact);
      return this;
    }

    byte[] build() throws IOException {
      byte[] chain =
          RootUpdate.newBuilder().addRootMetadata(fleet.rootMetadata()).build().toByteArray();
      BundleIndex.Builder index =
          BundleIndex.newBuilder()
              .setBundleId(UUID.randomUUID().toString())
              .setCreatedAtMs(System.currentTimeMillis())
              .setExpiresAtMs(expiresAtMs)
              .setRootVersion(1);
      index.addEntries(entry("root-chain.pb", chain));
      documents.forEach((n, b) -> index.addEntries(entry(n, b)));
      artifacts.forEach((n, b) -> index.addEntries(entry(n, b)));
      byte[] signed =
          FleetFixture.sign(index.build(), Dsse.BUNDLE_INDEX_TYPE, indexKey).toByteArray();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      tarEntry(out, "root-chain.pb", chain);
      tarEntry(out, "index.dsse", signed);
      for (Map.Entry<String, byte[]> e : documents.entrySet()) {
        tarEntry(out, e.getKey(), e.getValue());
      }
      for (Map.Entry<String, byte[]> e : artifacts.entrySet()) {
        tarEntry(out, e.getKey(), e.getValue());
      }
      if (extra) {
        tarEntry(out, "artifacts/smuggled", new byte[] {1, 2, 3});
      }
      out.write(new byte[1024]);
      return out.toByteArray();
    }

    private static BundleEntry entry(String name, byte[] content) {
      return BundleEntry.newBuilder()
          .setName(name)
          .setSha256(Dsse.sha256Hex(content))
          .setSize(content.length)
          .build();
    }

    private static void tarEntry(ByteArrayOutputStream out, String name, byte[] content)
        throws IOException {
      byte[] h = new byte[512];
      byte[] n = name.getBytes(StandardCharsets.US_ASCII);
      System.arraycopy(n, 0, h, 0, n.length);
      field(h, 100, 8, 0644);
      field(h, 108, 8, 0);
      field(h, 116, 8, 0);
      field(h, 124, 12, content.length);
      field(h, 136, 12, 0);
      Arrays.fill(h, 148, 156, (byte) ' ');
      h[156] = '0';
      System.arraycopy("ustar\u000000".getBytes(StandardCharsets.US_ASCII), 0, h, 257, 8);
      long sum = 0;
      for (byte b : h) {
        sum += b & 0xff;
      }
      field(h, 148, 7, sum);
      out.write(h);
      out.write(content);
      out.write(new byte[(512 - content.length % 512) % 512]);
    }

    private static void field(byte[] h, int off, int width, long value) {
      String s = Long.toOctalString(value);
      s = "0".repeat(width - 1 - s.length()) + s;
      System.arraycopy(s.getBytes(StandardCharsets.US_ASCII), 0, h, off, width - 1);
    }
  }
}
