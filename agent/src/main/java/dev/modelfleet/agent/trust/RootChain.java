package dev.modelfleet.agent.trust;

import dev.modelfleet.agent.state.SecureFiles;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DeploymentState;
import dev.modelfleet.protocol.agent.v1.RootUpdate;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * The root metadata this device trusts, and how it moves on (TUF's root rotation): from the first
 * version its pin verifies ({@link TrustedRoot#verify(SignedEnvelope, RootPin, long)}), each next
 * version must be exactly one up and signed by a threshold of the previous version's root keys and
 * of its own. The verified chain is persisted ({@code root-chain.pb}), so a restart trusts the same
 * root without the server.
 */
public final class RootChain {

  public static final String SIGNATURE_THRESHOLD = "root-signature-threshold";
  public static final String VERSION_ROLLBACK = "root-version-rollback";
  public static final String VERSION_SKIP = "root-version-skip";

  /** The first trusted version does not keep the pinned keys in its root role. */
  public static final String PIN_NOT_LISTED = "root-pinned-key-not-listed";

  /** The trusted root is past its expiry: nothing it vouches for is accepted. */
  public static final String EXPIRED = "root-expired";

  public static final String CHAIN_FILE = "root-chain.pb";

  private static final Logger LOG = Logger.getLogger("modelfleet.trust");

  private final Path file;
  private final List<SignedEnvelope> chain;
  private volatile TrustedRoot current;

  private RootChain(Path file, List<SignedEnvelope> chain, TrustedRoot current) {
    this.file = file;
    this.chain = new ArrayList<>(chain);
    this.current = current;
  }

  /** As {@link #walk(List, RootPin, long, Path)} with one pinned key (SPKI DER). */
  public static RootChain walk(
      List<SignedEnvelope> versions, byte[] pinnedRootKey, long nowMs, Path file)
      throws VerificationException {
    return walk(versions, RootPin.of(pinnedRootKey), nowMs, file);
  }

  /**
   * Walks {@code versions} (oldest first, the newest last): starts at the first one the pin
   * verifies and follows the chain rules from there. Only the final version's expiry is checked
   * ({@code nowMs <= 0}: not at all, for a stored chain read at restart).
   *
   * @param file where the chain is persisted; null keeps it in memory only (tests)
   */
  public static RootChain walk(List<SignedEnvelope> versions, RootPin pin, long nowMs, Path file)
      throws VerificationException {
    if (versions.isEmpty()) {
      throw new VerificationException("malformed", "no root metadata was received");
    }
    VerificationException refusal = null;
    for (int start = 0; start < versions.size(); start++) {
      TrustedRoot trusted;
      try {
        trusted = TrustedRoot.verify(versions.get(start), pin, 0);
      } catch (VerificationException e) {
        // A version the pin signed says more about what went wrong than the others it did not.
        if (refusal == null || "unknown-key".equals(refusal.reasonCode())) {
          refusal = e;
        }
        continue;
      }
      List<SignedEnvelope> walked = new ArrayList<>(List.of(versions.get(start)));
      for (SignedEnvelope next : versions.subList(start + 1, versions.size())) {
        trusted = trusted.next(next);
        walked.add(next);
      }
      trusted.checkNotExpired(nowMs);
      return new RootChain(file, walked, trusted);
    }
    throw refusal;
  }

  /** The chain persisted in {@code file}; empty when there is none (an older agent's state). */
  public static List<SignedEnvelope> read(Path file) throws IOException {
    if (!Files.exists(file)) {
      return List.of();
    }
    return RootUpdate.parseFrom(Files.readAllBytes(file)).getRootMetadataList();
  }

  public TrustedRoot current() {
    return current;
  }

  /** Writes the chain to its file (after enrollment, and after every accepted update). */
  public synchronized void persist() throws IOException {
    if (file != null) {
      SecureFiles.writeAtomically(
          file, RootUpdate.newBuilder().addAllRootMetadata(chain).build().toByteArray());
    }
  }

  /**
   * Accepts the versions of a RootUpdate all together or not at all: a refused update keeps the
   * trusted root, so one bad document cannot leave the device between two roots.
   */
  public synchronized TrustedRoot update(List<SignedEnvelope> versions, long nowMs)
      throws VerificationException, IOException {
    TrustedRoot before = current;
    TrustedRoot trusted = before;
    for (SignedEnvelope next : versions) {
      trusted = trusted.next(next);
    }
    trusted.checkNotExpired(nowMs);
    chain.addAll(versions);
    try {
      persist();
    } catch (IOException e) {
      chain.subList(chain.size() - versions.size(), chain.size()).clear();
      throw e;
    }
    current = trusted;
    LOG.info(
        "trusting root metadata version "
            + trusted.version()
            + " (was "
            + before.version()
            + ")"
            + (before.directorKeysId().equals(trusted.directorKeysId())
                ? ""
                : "; the director keys changed, so generations counted under the old keys"
                    + " no longer bind this device"));
    return trusted;
  }

  /**
   * Applies a RootUpdate from the server and reports a refusal as a FAILED progress (no model,
   * generation 0) with the reason code, as for a refused desired state.
   */
  public boolean accept(
      RootUpdate update, LongSupplier clock, Consumer<DeploymentProgress> report) {
    try {
      update(update.getRootMetadataList(), clock.getAsLong());
      return true;
    } catch (VerificationException e) {
      LOG.warning(
          "root update refused ("
              + e.reasonCode()
              + "): "
              + e.getMessage()
              + "; still trusting root metadata version "
              + current.version());
      report.accept(failure(e.reasonCode(), e.getMessage()));
    } catch (IOException e) {
      LOG.warning(
          "root update not persisted ("
              + e.getMessage()
              + "); still trusting version "
              + current.version());
      report.accept(
          failure("root-not-persisted", "the root update could not be stored: " + e.getMessage()));
    }
    return false;
  }

  private static DeploymentProgress failure(String code, String reason) {
    return DeploymentProgress.newBuilder()
        .setState(DeploymentState.DEPLOYMENT_STATE_FAILED)
        .setReasonCode(code)
        .setReason(reason)
        .build();
  }
}
