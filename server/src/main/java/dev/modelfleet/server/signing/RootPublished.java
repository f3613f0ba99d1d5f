package dev.modelfleet.server.signing;

import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.RoleKeys;
import dev.modelfleet.protocol.agent.v1.RootMetadata;
import jakarta.interceptor.Interceptor;
import java.util.List;
import java.util.Objects;

/**
 * Fired inside the transaction that publishes a new root metadata version (a rotation, online or
 * from an offline draft), once the new version is in the key directory. Devices refuse documents
 * signed by keys the new version no longer lists, so the features that keep signed documents
 * re-sign them, in the order of the observer priorities below: model re-signs every variant
 * manifest when the targets keys changed; assignment then re-issues every desired state when the
 * targets or director keys changed (a desired state embeds manifests, so it comes after them);
 * last, the cluster notifier tells every replica, which sends the new root versions to its
 * connected devices. An observer that fails rolls the publication back.
 */
public record RootPublished(RootMetadata previous, RootMetadata next) {

  /** Observer priority: re-signing the variant manifests (signed by the targets keys). */
  public static final int MANIFESTS = Interceptor.Priority.APPLICATION;

  /** Observer priority: re-issuing desired states (director keys), which embed the manifests. */
  public static final int DESIRED_STATES = Interceptor.Priority.APPLICATION + 100;

  /** Observer priority: telling the replicas, once everything they will send is signed. */
  public static final int REPLICAS = Interceptor.Priority.APPLICATION + 200;

  public long version() {
    return next.getVersion();
  }

  /**
   * Whether the targets role's keys differ, so that manifests signed by the old ones are refused.
   */
  public boolean targetsChanged() {
    return !sameKeys(Dsse.ROLE_TARGETS);
  }

  /** Whether the director role's keys differ, so that desired states signed by them are refused. */
  public boolean directorChanged() {
    return !sameKeys(Dsse.ROLE_DIRECTOR);
  }

  private boolean sameKeys(String role) {
    return Objects.equals(keyIds(previous, role), keyIds(next, role));
  }

  private static List<String> keyIds(RootMetadata metadata, String role) {
    return RootRoles.role(metadata, role)
        .map(RoleKeys::getKeyIdsList)
        .map(ids -> ids.stream().sorted().toList())
        .orElse(List.of());
  }
}
