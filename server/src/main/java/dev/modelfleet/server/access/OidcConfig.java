package dev.modelfleet.server.access;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * People signing in through an OpenID Connect provider (MODELFLEET_OIDC_*), off by default. The
 * server checks the provider's signed access tokens (JWTs) itself against a configured public
 * key: no call to the provider, so it works the same offline and on every replica.
 */
@ConfigMapping(prefix = "modelfleet.oidc")
public interface OidcConfig {

  @WithDefault("false")
  boolean enabled();

  /** The provider's issuer URL; the token's {@code iss} must equal it. Required when enabled. */
  Optional<String> issuer();

  /** When set, the token's {@code aud} must contain it (the client id the provider issues for). */
  Optional<String> audience();

  /** The provider's RSA public key, PEM (SubjectPublicKeyInfo). Required when enabled. */
  Optional<String> publicKey();

  /** The claim that holds the caller's groups or roles: a string or a list of strings. */
  @WithDefault("groups")
  String rolesClaim();

  /**
   * How claim values map to roles, as {@code value=role} (e.g. {@code fleet-admins=admin}). A
   * value that is itself a role name ({@code admin}, {@code operator}, {@code viewer}) maps to
   * it without an entry. The highest role among the caller's values wins.
   */
  Optional<List<String>> roleMappings();

  /** The claim that names the person in the audit log and in rollout events. */
  @WithDefault("preferred_username")
  String nameClaim();

  /** How far the provider's clock and ours may disagree on expiry and not-before. */
  @WithDefault("60s")
  Duration clockSkew();
}
