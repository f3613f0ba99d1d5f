package dev.modelfleet.server.access;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * People signing in through an OpenID Connect provider (MODELFLEET_OIDC_*), off by default. The
 * server checks the provider's signed access tokens (JWTs) itself, with the provider's keys fetched
 * from its JWKS document and cached, or with one configured public key. When enabled, the issuer,
 * the audience and at least one role mapping are required: the server does not start without them.
 */
@ConfigMapping(prefix = "modelfleet.oidc")
public interface OidcConfig {

  @WithDefault("false")
  boolean enabled();

  /**
   * The provider's issuer URL; the token's {@code iss} must equal it. Its discovery document
   * ({@code <issuer>/.well-known/openid-configuration}) names the keys unless jwks-url does.
   */
  Optional<String> issuer();

  /**
   * The token's {@code aud} must contain it: the client id the provider issues tokens for this
   * server to. Without it, a token the provider issued to any other application would do.
   */
  Optional<String> audience();

  /**
   * The clients whose tokens are accepted, by the token's {@code azp} (authorized party); the
   * audience alone when unset. A token that names an {@code azp} must name one of them, and a token
   * with several audiences must name one.
   */
  Optional<List<String>> clientIds();

  /**
   * Where the provider publishes its signing keys (JWKS); https, or http to this host only. Unset:
   * the {@code jwks_uri} of the issuer's discovery document.
   */
  Optional<String> jwksUrl();

  /** How long fetched keys are used before they are fetched again. */
  @WithDefault("10m")
  Duration jwksRefreshInterval();

  /**
   * A token signed with a key the server has not fetched (the provider rotated its keys) makes it
   * fetch them again, at most this often: tokens with made-up key ids cannot make it call the
   * provider on every request.
   */
  @WithDefault("10s")
  Duration jwksMinRefetchInterval();

  /**
   * Instead of the JWKS: one RSA public key of the provider, PEM (SubjectPublicKeyInfo), for a
   * server that cannot reach the provider. Rotating the provider's key then means changing this
   * setting. Not together with jwks-url.
   */
  Optional<String> publicKey();

  /** The claim that holds the caller's groups or roles: a string or a list of strings. */
  @WithDefault("groups")
  String rolesClaim();

  /**
   * How claim values map to roles, as {@code value=role} (e.g. {@code fleet-admins=admin}).
   * Required: only the values listed here give a role; a value that happens to be a role's name
   * ({@code admin}) gives nothing unless mapped. The highest role among the caller's values wins.
   */
  Optional<List<String>> roleMappings();

  /** The claim that names the person in the audit log and in rollout events. */
  @WithDefault("preferred_username")
  String nameClaim();

  /**
   * The client the command line signs people in as (device authorization grant, a public client):
   * published to it by {@code GET /auth/v1/config}. Unset: the audience. Must be an accepted
   * client.
   */
  Optional<String> cliClientId();

  /**
   * The client the console signs people in as (authorization code with PKCE). Unset: the audience.
   * Must be an accepted client.
   */
  Optional<String> consoleClientId();

  /** The console client's secret, for a provider that makes it a confidential client. */
  Optional<String> consoleClientSecret();

  /**
   * Where the provider sends the browser back to: {@code <console URL>/console/login/oidc/callback}
   * as registered with the provider. Unset: built from the request's scheme and host.
   */
  Optional<String> consoleRedirectUri();

  /** The scopes asked for at sign-in; the command line adds offline_access for a refresh token. */
  @WithDefault("openid profile")
  String scopes();

  /** How far the provider's clock and ours may disagree on expiry and not-before. */
  @WithDefault("60s")
  Duration clockSkew();
}
