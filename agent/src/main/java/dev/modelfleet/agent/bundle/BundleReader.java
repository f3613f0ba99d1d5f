package dev.modelfleet.agent.bundle;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.modelfleet.agent.trust.EnvelopeVerifier;
import dev.modelfleet.agent.trust.RootChain;
import dev.modelfleet.agent.trust.RootPin;
import dev.modelfleet.agent.trust.TrustedRoot;
import dev.modelfleet.agent.trust.VerificationException;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.BundleEntry;
import dev.modelfleet.protocol.agent.v1.BundleIndex;
import dev.modelfleet.protocol.agent.v1.ClassDesiredState;
import dev.modelfleet.protocol.agent.v1.DesiredModel;
import dev.modelfleet.protocol.agent.v1.DesiredState;
import dev.modelfleet.protocol.agent.v1.RootMetadata;
import dev.modelfleet.protocol.agent.v1.RootUpdate;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.protocol.agent.v1.VariantManifest;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads an offline bundle (format: proto/.../bundle.proto) in one pass and checks it as a whole:
 * the root chain must start at this device's pinned root keys (else it is another fleet's), the
 * index must carry the director threshold of that root, and every entry must be the very one the
 * index names, in order, with its sha256 and size; nothing more, nothing less. Only this device's
 * desired state (its own, else its hardware class's) and the artifacts it names (whole, or a delta
 * or compressed copy it offers) are kept, staged in {@code staging}; other entries are hashed and
 * dropped. Nothing outside {@code staging} is touched.
 */
public final class BundleReader {

  public static final String FOREIGN_FLEET = "bundle-foreign-fleet";
  public static final String ENTRY_MISMATCH = "bundle-entry-modified";
  public static final String UNLISTED = "bundle-entry-unlisted";
  public static final String NOT_FOR_DEVICE = "bundle-not-for-device";
  public static final String EXPIRED = "bundle-expired";

  /** Signed documents are small; anything bigger is not one of ours. */
  private static final long MAX_DOCUMENT = 16L << 20;

  private final RootPin pin;
  private final TrustedRoot trusted;
  private final String deviceId;
  private final String hardwareClass;
  private final long nowMs;

  /**
   * @param trusted the root this device trusts now; null for a device not enrolled yet
   * @param hardwareClass this device's hardware class id, for a class state when the bundle holds
   *     none for the device itself
   */
  public BundleReader(
      RootPin pin, TrustedRoot trusted, String deviceId, String hardwareClass, long nowMs) {
    this.pin = pin;
    this.trusted = trusted;
    this.deviceId = deviceId;
    this.hardwareClass = hardwareClass == null ? "" : hardwareClass;
    this.nowMs = nowMs;
  }

  public VerifiedBundle read(Path file, Path staging) throws IOException, VerificationException {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      return read(in, staging);
    } catch (TarReader.TruncatedException e) {
      throw new VerificationException(
          TarReader.TRUNCATED, "the bundle ends inside an entry; it was cut short (copy it again)");
    }
  }

  private VerifiedBundle read(InputStream in, Path staging)
      throws IOException, VerificationException {
    TarReader tar = new TarReader(in);
    TarReader.Entry first = require(tar.next(), "root-chain.pb");
    byte[] chainBytes = document(tar, first, "root-chain.pb");
    List<SignedEnvelope> chain = parseChain(chainBytes);
    TrustedRoot bundleRoot;
    try {
      bundleRoot = RootChain.walk(chain, pin, nowMs, null).current();
    } catch (VerificationException e) {
      throw new VerificationException(
          "root-expired".equals(e.reasonCode()) ? e.reasonCode() : FOREIGN_FLEET,
          "the bundle's root metadata does not chain to this device's pinned root keys ("
              + e.getMessage()
              + "); it was made by another fleet's server, or altered. Refused, nothing changed",
          e);
    }
    // a device not enrolled yet trusts nothing but its pinned keys: the chain walked from them
    TrustedRoot root =
        trusted == null || bundleRoot.version() >= trusted.version() ? bundleRoot : trusted;
    List<SignedEnvelope> newer = new ArrayList<>();
    for (SignedEnvelope version : chain) {
      if (trusted == null || rootVersion(version) > trusted.version()) {
        newer.add(version);
      }
    }

    TarReader.Entry indexEntry = require(tar.next(), "index.dsse");
    if (!"index.dsse".equals(indexEntry.name())) {
      throw new VerificationException(
          TarReader.MALFORMED,
          "the bundle's second entry must be index.dsse, not " + indexEntry.name());
    }
    BundleIndex index = index(document(tar, indexEntry, "index.dsse"), root);
    if (index.getExpiresAtMs() <= nowMs) {
      throw new VerificationException(
          EXPIRED,
          "bundle "
              + index.getBundleId()
              + " expired at "
              + java.time.Instant.ofEpochMilli(index.getExpiresAtMs())
              + "; ask for a new one (modelfleet bundle create), or check the device clock");
    }
    List<BundleEntry> listed = index.getEntriesList();
    if (listed.isEmpty() || !listed.get(0).getName().equals("root-chain.pb")) {
      throw new VerificationException(
          TarReader.MALFORMED, "the bundle index does not list root-chain.pb first");
    }
    check(listed.get(0), first.name(), chainBytes.length, Dsse.sha256Hex(chainBytes));

    String mine = "devices/" + deviceId + ".dsse";
    String myClass = "classes/" + hardwareClass + ".dsse";
    SignedEnvelope desired = null;
    boolean forClass = false;
    Set<String> wanted = new HashSet<>();
    Map<String, Path> artifacts = new HashMap<>();
    for (BundleEntry expected : listed.subList(1, listed.size())) {
      TarReader.Entry entry = tar.next();
      if (entry == null) {
        throw new VerificationException(
            TarReader.TRUNCATED,
            "the bundle ends before entry "
                + expected.getName()
                + " that its index lists; it was cut short (copy it again)");
      }
      if (!entry.name().equals(expected.getName())) {
        throw new VerificationException(
            ENTRY_MISMATCH,
            "bundle entry '"
                + entry.name()
                + "' is not the one the index lists next ('"
                + expected.getName()
                + "'); refused");
      }
      if (entry.name().equals(mine)) {
        byte[] bytes = document(tar, entry, entry.name());
        check(expected, entry.name(), bytes.length, Dsse.sha256Hex(bytes));
        desired = SignedEnvelope.parseFrom(bytes);
        wanted.addAll(artifactsOf(desired, false));
      } else if (desired == null && !hardwareClass.isEmpty() && entry.name().equals(myClass)) {
        // a device's own state, listed before any class's, wins over its class's
        byte[] bytes = document(tar, entry, entry.name());
        check(expected, entry.name(), bytes.length, Dsse.sha256Hex(bytes));
        desired = SignedEnvelope.parseFrom(bytes);
        forClass = true;
        wanted.addAll(artifactsOf(desired, true));
      } else if (entry.name().startsWith("artifacts/") && wanted.contains(expected.getSha256())) {
        Path staged = staging.resolve(expected.getSha256());
        String sha;
        try (OutputStream out = Files.newOutputStream(staged)) {
          sha = copy(tar.body(), out, expected, entry);
        }
        check(expected, entry.name(), entry.size(), sha);
        artifacts.put(expected.getSha256(), staged);
      } else {
        check(
            expected,
            entry.name(),
            entry.size(),
            copy(tar.body(), OutputStream.nullOutputStream(), expected, entry));
      }
    }
    TarReader.Entry extra = tar.next();
    if (extra != null) {
      throw new VerificationException(
          UNLISTED,
          "bundle entry '" + extra.name() + "' is not listed in the signed index; refused");
    }
    if (desired == null) {
      throw new VerificationException(
          NOT_FOR_DEVICE,
          "bundle "
              + index.getBundleId()
              + " holds no desired state for this device ("
              + deviceId
              + ") nor for its hardware class ("
              + (hardwareClass.isEmpty() ? "unknown" : hardwareClass)
              + "); ask for one that names either");
    }
    return new VerifiedBundle(index, desired, forClass, newer, root, artifacts);
  }

  private BundleIndex index(byte[] bytes, TrustedRoot root) throws VerificationException {
    try {
      SignedEnvelope envelope = SignedEnvelope.parseFrom(bytes);
      byte[] payload =
          EnvelopeVerifier.verify(
              envelope,
              Dsse.BUNDLE_INDEX_TYPE,
              root.director().keys(),
              root.director().threshold(),
              "bundle index");
      return BundleIndex.parseFrom(payload);
    } catch (InvalidProtocolBufferException e) {
      throw new VerificationException(TarReader.MALFORMED, "the bundle index does not parse", e);
    }
  }

  /**
   * The artifacts the desired state names (its manifests' sha256, and the delta and compressed copy
   * it offers), read before it is verified: only what is staged can be used, and the deployer
   * checks whatever it rebuilds from them against the signed manifest.
   */
  private static Set<String> artifactsOf(SignedEnvelope envelope, boolean forClass) {
    Set<String> shas = new HashSet<>();
    try {
      DesiredState state =
          forClass
              ? ClassDesiredState.parseFrom(envelope.getPayload()).getState()
              : DesiredState.parseFrom(envelope.getPayload());
      for (DesiredModel model : state.getModelsList()) {
        shas.add(VariantManifest.parseFrom(model.getManifest().getPayload()).getSha256());
        if (model.hasDelta()) {
          shas.add(model.getDelta().getSha256());
        }
        if (model.hasCompressed()) {
          shas.add(model.getCompressed().getSha256());
        }
        if (model.hasShadow()) {
          shas.add(
              VariantManifest.parseFrom(model.getShadow().getManifest().getPayload()).getSha256());
        }
      }
    } catch (InvalidProtocolBufferException e) {
      // The deployer refuses the document with its own reason; nothing to stage for it.
    }
    return shas;
  }

  private static void check(BundleEntry expected, String name, long size, String sha256)
      throws VerificationException {
    if (expected.getSize() != size || !expected.getSha256().equals(sha256)) {
      throw new VerificationException(
          ENTRY_MISMATCH,
          "bundle entry '"
              + name
              + "' does not match its signed index (sha256/size); the"
              + " bundle was modified or damaged, refused");
    }
  }

  private static String copy(
      InputStream body, OutputStream out, BundleEntry expected, TarReader.Entry entry)
      throws IOException, VerificationException {
    if (entry.size() != expected.getSize()) {
      throw new VerificationException(
          ENTRY_MISMATCH,
          "bundle entry '"
              + entry.name()
              + "' has "
              + entry.size()
              + " bytes, its index says "
              + expected.getSize()
              + "; refused");
    }
    MessageDigest digest = sha256();
    byte[] buffer = new byte[64 * 1024];
    int n;
    while ((n = body.read(buffer)) >= 0) {
      digest.update(buffer, 0, n);
      out.write(buffer, 0, n);
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static byte[] document(TarReader tar, TarReader.Entry entry, String what)
      throws IOException, VerificationException {
    if (entry.size() > MAX_DOCUMENT) {
      throw new VerificationException(
          TarReader.MALFORMED, "bundle entry " + what + " is " + entry.size() + " bytes; too big");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream((int) entry.size());
    tar.body().transferTo(out);
    return out.toByteArray();
  }

  private static TarReader.Entry require(TarReader.Entry entry, String what)
      throws VerificationException {
    if (entry == null) {
      throw new VerificationException(
          TarReader.TRUNCATED, "the bundle ends before its " + what + "; it is empty or cut short");
    }
    if (!entry.name().equals(what) && what.equals("root-chain.pb")) {
      throw new VerificationException(
          TarReader.MALFORMED,
          "the bundle's first entry must be root-chain.pb, not " + entry.name());
    }
    return entry;
  }

  private static List<SignedEnvelope> parseChain(byte[] bytes) throws VerificationException {
    try {
      return RootUpdate.parseFrom(bytes).getRootMetadataList();
    } catch (InvalidProtocolBufferException e) {
      throw new VerificationException(
          TarReader.MALFORMED, "the bundle's root chain does not parse", e);
    }
  }

  private static long rootVersion(SignedEnvelope envelope) {
    try {
      return RootMetadata.parseFrom(envelope.getPayload()).getVersion();
    } catch (InvalidProtocolBufferException e) {
      return -1;
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
