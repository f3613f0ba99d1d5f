package dev.modelfleet.cli.trust;

import dev.modelfleet.cli.output.Text;
import dev.modelfleet.protocol.agent.v1.PublicKey;
import dev.modelfleet.protocol.agent.v1.RoleKeys;
import dev.modelfleet.protocol.agent.v1.RootMetadata;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The decoded draft as the operator must read it before signing: version, expiry, every role with
 * threshold and full key ids, the signing key marked; with the previous version, what changed.
 */
public final class RootDescription {

  private RootDescription() {}

  public static String describe(
      RootDraft draft, RootMetadata previous, String signerId, Instant now) {
    RootMetadata root = draft.root();
    StringBuilder out = new StringBuilder();
    out.append("=== Root metadata version ").append(root.getVersion()).append(" ===\n");
    out.append("payload sha256 ")
        .append(RootDraft.sha256Hex(draft.payload()))
        .append(" (must equal payloadSha256 of the draft you reviewed)\n");
    if (root.getExpiresAtMs() == 0) {
      out.append("expires   NEVER (no expiry: agents would trust it forever)\n");
    } else {
      Instant expires = Instant.ofEpochMilli(root.getExpiresAtMs());
      long days = Duration.between(now, expires).toDays();
      out.append("expires   ")
          .append(expires)
          .append(
              expires.isBefore(now)
                  ? " (ALREADY EXPIRED by this machine's clock: agents would refuse it)"
                  : " (in " + days + " days by this machine's clock)")
          .append('\n');
    }
    Map<String, String> algorithms = new LinkedHashMap<>();
    for (PublicKey key : root.getKeysList()) {
      algorithms.put(key.getKeyId(), key.getAlgorithm());
    }
    for (RoleKeys role : root.getRolesList()) {
      out.append(
          String.format(
              "role %-9s threshold %d of %d key(s)%n",
              role.getRole(), role.getThreshold(), role.getKeyIdsCount()));
      for (String keyId : role.getKeyIdsList()) {
        out.append("    ")
            .append(keyId)
            .append("  ")
            .append(Text.printable(algorithms.get(keyId)))
            .append(keyId.equals(signerId) ? "  <- the key you are signing with" : "")
            .append(previous == null ? "" : previousMark(previous, role.getRole(), keyId))
            .append('\n');
      }
    }
    Set<String> inNoRole = new TreeSet<>(algorithms.keySet());
    root.getRolesList().forEach(r -> r.getKeyIdsList().forEach(inNoRole::remove));
    inNoRole.forEach(
        id -> out.append("listed in no role (agents ignore it): ").append(id).append('\n'));
    if (previous != null) {
      out.append(changes(previous, root));
    } else {
      out.append("(pass --previous with the previous version to see what changed)\n");
    }
    if (signerId != null && !keyIds(root, "root").contains(signerId)) {
      out.append("note: the key you are signing with is no root key of version ")
          .append(root.getVersion())
          .append("; this signature counts only as one by the root keys of version ")
          .append(root.getVersion() - 1)
          .append('\n');
    }
    out.append(
        "Check every root key id above against the ids of the root keys you hold (modelfleet"
            + " trust pubkey KEY_FILE): a root key you do not know hands the fleet to whoever"
            + " holds it.\n");
    return out.toString();
  }

  static List<String> keyIds(RootMetadata root, String role) {
    for (RoleKeys r : root.getRolesList()) {
      if (r.getRole().equals(role)) {
        return r.getKeyIdsList();
      }
    }
    return List.of();
  }

  private static int threshold(RootMetadata root, String role) {
    for (RoleKeys r : root.getRolesList()) {
      if (r.getRole().equals(role)) {
        return r.getThreshold();
      }
    }
    return 0;
  }

  private static String previousMark(RootMetadata previous, String role, String keyId) {
    return keyIds(previous, role).contains(keyId) ? "" : "  NEW";
  }

  private static String changes(RootMetadata previous, RootMetadata root) {
    StringBuilder out = new StringBuilder("changes from version " + previous.getVersion() + ":\n");
    if (root.getVersion() != previous.getVersion() + 1) {
      out.append("  NOT THE NEXT VERSION: version ")
          .append(previous.getVersion())
          .append(" is followed by ")
          .append(previous.getVersion() + 1)
          .append(", not ")
          .append(root.getVersion())
          .append('\n');
    }
    List<String> lines = new ArrayList<>();
    Set<String> names = new LinkedHashSet<>();
    previous.getRolesList().forEach(r -> names.add(r.getRole()));
    root.getRolesList().forEach(r -> names.add(r.getRole()));
    for (String name : names) {
      List<String> was = keyIds(previous, name);
      List<String> now = keyIds(root, name);
      now.stream()
          .filter(id -> !was.contains(id))
          .forEach(id -> lines.add(name + ": key ADDED    " + id));
      was.stream()
          .filter(id -> !now.contains(id))
          .forEach(id -> lines.add(name + ": key REMOVED  " + id));
      int before = threshold(previous, name);
      int after = threshold(root, name);
      if (before != after) {
        lines.add(name + ": threshold " + before + " -> " + after);
      }
    }
    if (previous.getExpiresAtMs() != root.getExpiresAtMs()) {
      lines.add(
          "expiry "
              + Instant.ofEpochMilli(previous.getExpiresAtMs())
              + " -> "
              + Instant.ofEpochMilli(root.getExpiresAtMs()));
    }
    if (lines.isEmpty()) {
      lines.add("none");
    }
    lines.forEach(line -> out.append("  ").append(line).append('\n'));
    return out.toString();
  }
}
