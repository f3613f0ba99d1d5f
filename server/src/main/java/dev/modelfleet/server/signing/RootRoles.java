package dev.modelfleet.server.signing;

import com.google.protobuf.ByteString;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.PublicKey;
import dev.modelfleet.protocol.agent.v1.RoleKeys;
import dev.modelfleet.protocol.agent.v1.RootMetadata;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;

/** Reading and changing the roles and keys of root metadata. */
final class RootRoles {

  private static final List<String> ROLE_ORDER =
      List.of(Dsse.ROLE_ROOT, Dsse.ROLE_TARGETS, Dsse.ROLE_DIRECTOR);

  private RootRoles() {}

  static Set<String> rootKeyIds(RootMetadata metadata) {
    return new LinkedHashSet<>(
        role(metadata, Dsse.ROLE_ROOT)
            .<List<String>>map(RoleKeys::getKeyIdsList)
            .orElse(List.of()));
  }

  static Optional<RoleKeys> role(RootMetadata metadata, String name) {
    return metadata.getRolesList().stream().filter(r -> r.getRole().equals(name)).findFirst();
  }

  static PublicKey key(RootMetadata metadata, String keyId) {
    return metadata.getKeysList().stream()
        .filter(k -> k.getKeyId().equals(keyId))
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "root metadata lists key " + keyId + " in a role but not among its keys"));
  }

  /**
   * Replaces a role's keys and threshold; keys no role uses any more leave the key list, so a
   * rotated-out key is gone from the metadata, not just from the role.
   */
  static void setRole(
      RootMetadata.Builder metadata, String name, List<PublicKey> roleKeys, int threshold) {
    List<RoleKeys> roles = new ArrayList<>(metadata.getRolesList());
    roles.removeIf(r -> r.getRole().equals(name));
    roles.add(
        RoleKeys.newBuilder()
            .setRole(name)
            .setThreshold(threshold)
            .addAllKeyIds(roleKeys.stream().map(PublicKey::getKeyId).toList())
            .build());
    roles.sort(Comparator.comparingInt(r -> ROLE_ORDER.indexOf(r.getRole())));
    Map<String, PublicKey> byId = new LinkedHashMap<>();
    metadata.getKeysList().forEach(k -> byId.put(k.getKeyId(), k));
    roleKeys.forEach(k -> byId.put(k.getKeyId(), k));
    Set<String> used = new HashSet<>();
    roles.forEach(r -> used.addAll(r.getKeyIdsList()));
    metadata
        .clearRoles()
        .addAllRoles(roles)
        .clearKeys()
        .addAllKeys(byId.values().stream().filter(k -> used.contains(k.getKeyId())).toList());
  }

  static PublicKey publicKey(Ed25519PrivateKeyParameters key) {
    return publicKey(Ed25519Keys.spki(key.generatePublicKey()));
  }

  static PublicKey publicKey(byte[] spki) {
    return PublicKey.newBuilder()
        .setKeyId(Dsse.keyId(spki))
        .setAlgorithm("ed25519")
        .setPublicKey(ByteString.copyFrom(spki))
        .build();
  }
}
