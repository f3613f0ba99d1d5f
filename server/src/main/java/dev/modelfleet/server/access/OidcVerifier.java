package dev.modelfleet.server.access;

import dev.modelfleet.server.access.ApiTokenService.Authentication;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jboss.logging.Logger;
import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jwa.AlgorithmConstraints.ConstraintType;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.MalformedClaimException;
import org.jose4j.jwt.consumer.InvalidJwtException;
import org.jose4j.jwt.consumer.JwtConsumer;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;
import org.jose4j.keys.resolvers.VerificationKeyResolver;

/**
 * Turns a person's OpenID Connect access token into an {@link Identity}. The signature must be the
 * provider's: by a key of its JWKS (fetched and cached by {@link JwksKeys}) or the one configured
 * key, with an asymmetric algorithm ("none" and HMAC are refused, so a token cannot choose how it
 * is checked). The issuer, the audience and the lifetime must hold; a token that names an
 * authorized party ({@code azp}), or has several audiences, must have been issued to an accepted
 * client. The role comes only from the configured mappings of claim values. People are named {@code
 * oidc:<name>}, which no API token name can be (API token names have no colon), so the audit log
 * never confuses the two.
 *
 * <p>Verifying may fetch the provider's keys over the network: call it off the event loop.
 */
@ApplicationScoped
@Startup // a misconfiguration stops the server at start, not at the first request
public class OidcVerifier {

  private static final Logger LOG = Logger.getLogger(OidcVerifier.class);
  static final String PREFIX = "oidc:";

  private final OidcConfig config;
  private final JwtConsumer consumer;
  private final JwtConsumer idTokens;
  private final Map<String, Role> mappings = new HashMap<>();
  private final Set<String> clients;

  OidcVerifier(OidcConfig config) {
    this.config = config;
    if (!config.enabled()) {
      this.consumer = null;
      this.idTokens = null;
      this.clients = Set.of();
      return;
    }
    String audience =
        required(
            config.audience(),
            "modelfleet.oidc.audience",
            "the client id the provider issues this server's tokens to (their 'aud'); without it, a"
                + " token the provider issued to any other application would be accepted");
    List<String> roleMappings =
        config
            .roleMappings()
            .filter(list -> !list.isEmpty())
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "modelfleet.oidc.role-mappings is required when modelfleet.oidc.enabled=true: map"
                            + " the provider's groups to roles, e.g. fleet-admins=admin,fleet-ops=operator"));
    roleMappings.forEach(this::addMapping);
    this.clients =
        Set.copyOf(config.clientIds().filter(list -> !list.isEmpty()).orElse(List.of(audience)));
    requireAccepted(config.cliClientId(), "modelfleet.oidc.cli-client-id");
    requireAccepted(config.consoleClientId(), "modelfleet.oidc.console-client-id");
    Object keys = keys(config);
    this.consumer = consumer(config, audience, keys);
    this.idTokens = consumer(config, consoleClientId(), keys);
  }

  /** The client the console signs people in as. */
  public String consoleClientId() {
    return config.consoleClientId().filter(id -> !id.isBlank()).orElse(config.audience().get());
  }

  /** The client the command line signs people in as. */
  public String cliClientId() {
    return config.cliClientId().filter(id -> !id.isBlank()).orElse(config.audience().get());
  }

  /**
   * A sign-in client whose access tokens this server would then refuse (their azp) is a
   * misconfiguration to report at start, not at the first person's sign-in.
   */
  private void requireAccepted(Optional<String> client, String key) {
    client
        .filter(id -> !id.isBlank() && !clients.contains(id))
        .ifPresent(
            id -> {
              throw new IllegalArgumentException(
                  key
                      + " '"
                      + id
                      + "' is not an accepted client: add it to modelfleet.oidc.client-ids, or"
                      + " the access tokens it gets would be refused");
            });
  }

  /**
   * Checks the ID token the console received with a code: signed by the provider, issued to the
   * console's client, and carrying the nonce the console sent (so a token from another sign-in
   * cannot be replayed into this one). Returns its subject, or null when it does not hold.
   */
  public String verifyIdToken(String idToken, String nonce) {
    try {
      JwtClaims claims = idTokens.processToClaims(idToken);
      Object party = claims.getClaimValue("azp");
      if (party != null && !consoleClientId().equals(party)) {
        return null;
      }
      Object sent = claims.getClaimValue("nonce");
      if (!(sent instanceof String text)
          || !MessageDigest.isEqual(
              text.getBytes(StandardCharsets.UTF_8), nonce.getBytes(StandardCharsets.UTF_8))) {
        return null;
      }
      return claims.getSubject();
    } catch (InvalidJwtException | MalformedClaimException e) {
      LOG.debugf("OIDC ID token refused: %s", e.getMessage());
      return null;
    }
  }

  /** The subject of a token {@link #verify} accepted. */
  public static String subject(String jwt) {
    try {
      return JwtClaims.parse(
              new String(
                  Base64.getUrlDecoder().decode(jwt.split("\\.")[1]), StandardCharsets.UTF_8))
          .getSubject();
    } catch (Exception e) {
      return null;
    }
  }

  public boolean enabled() {
    return consumer != null;
  }

  /** A compact JWS: three base64url parts. API tokens and the admin token never look like one. */
  public static boolean looksLikeJwt(String token) {
    return token.chars().filter(c -> c == '.').count() == 2 && token.startsWith("eyJ");
  }

  /**
   * The person the token stands for, with a null role when no claim value maps to one; a refusal
   * says why not without echoing the token.
   */
  public Authentication verify(String jwt) {
    JwtClaims claims;
    try {
      claims = consumer.processToClaims(jwt);
    } catch (InvalidJwtException e) {
      LOG.debugf("OIDC token refused: %s", e.getMessage());
      return Authentication.refused(
          e.hasExpired()
              ? "The OpenID Connect token expired; sign in again."
              : "The OpenID Connect token is not valid for this server.");
    }
    if (!issuedToAcceptedClient(claims)) {
      return Authentication.refused(
          "The OpenID Connect token was issued to a client this server does not accept.");
    }
    return Authentication.of(new Identity(PREFIX + name(claims), role(claims)));
  }

  /**
   * An {@code azp} must name an accepted client; without one, the token must be for this server
   * alone (one audience), so a token meant for several services is not taken on its audience.
   */
  private boolean issuedToAcceptedClient(JwtClaims claims) {
    Object party = claims.getClaimValue("azp");
    if (party != null) {
      return party instanceof String client && clients.contains(client);
    }
    try {
      return claims.getAudience().size() == 1;
    } catch (MalformedClaimException e) {
      return false;
    }
  }

  /** The highest role the token's claim values map to; null when none does. */
  private Role role(JwtClaims claims) {
    Object value = claims.getClaimValue(config.rolesClaim());
    List<?> values =
        value instanceof List<?> list ? list : value == null ? List.of() : List.of(value);
    Role best = null;
    for (Object item : values) {
      Role role = item instanceof String text ? mappings.get(text) : null;
      if (role != null && (best == null || role.ordinal() < best.ordinal())) {
        best = role; // ADMIN, OPERATOR, VIEWER: declared from the most to the least powerful
      }
    }
    return best;
  }

  private String name(JwtClaims claims) {
    Object name = claims.getClaimValue(config.nameClaim());
    if (name instanceof String text && !text.isBlank()) {
      return text.length() > 200 ? text.substring(0, 200) : text;
    }
    Object subject = claims.getClaimValue("sub");
    return subject instanceof String text ? text : "unknown";
  }

  private void addMapping(String entry) {
    int eq = entry.indexOf('=');
    Role role =
        eq <= 0 ? null : Role.parse(entry.substring(eq + 1).trim().toLowerCase(Locale.ROOT));
    if (role == null) {
      throw new IllegalArgumentException(
          "modelfleet.oidc.role-mappings: '"
              + entry
              + "' is not value=role with role admin, operator or viewer");
    }
    mappings.put(entry.substring(0, eq).trim(), role);
  }

  private static String required(Optional<String> value, String key, String why) {
    return value
        .filter(text -> !text.isBlank())
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    key + " is required when modelfleet.oidc.enabled=true: " + why));
  }

  /** The one configured key, or the JWKS resolver: shared by access and ID tokens. */
  private static Object keys(OidcConfig config) {
    String issuer =
        required(
            config.issuer(),
            "modelfleet.oidc.issuer",
            "the provider's issuer URL (the tokens' 'iss')");
    if (config.publicKey().isPresent()) {
      if (config.jwksUrl().isPresent()) {
        throw new IllegalArgumentException(
            "modelfleet.oidc.public-key and modelfleet.oidc.jwks-url"
                + " are alternatives: set one");
      }
      return rsaKey(config.publicKey().get());
    }
    return new JwksKeys(
        issuer,
        config.jwksUrl().orElse(null),
        config.jwksRefreshInterval(),
        config.jwksMinRefetchInterval());
  }

  private static JwtConsumer consumer(OidcConfig config, String audience, Object keys) {
    String issuer = config.issuer().get();
    JwtConsumerBuilder builder =
        new JwtConsumerBuilder()
            .setRequireExpirationTime()
            .setRequireSubject()
            .setAllowedClockSkewInSeconds((int) config.clockSkew().toSeconds())
            .setExpectedIssuer(issuer)
            .setExpectedAudience(audience)
            .setJwsAlgorithmConstraints(
                new AlgorithmConstraints(
                    ConstraintType.PERMIT,
                    AlgorithmIdentifiers.RSA_USING_SHA256,
                    AlgorithmIdentifiers.RSA_USING_SHA384,
                    AlgorithmIdentifiers.RSA_USING_SHA512,
                    AlgorithmIdentifiers.RSA_PSS_USING_SHA256,
                    AlgorithmIdentifiers.RSA_PSS_USING_SHA384,
                    AlgorithmIdentifiers.RSA_PSS_USING_SHA512,
                    AlgorithmIdentifiers.ECDSA_USING_P256_CURVE_AND_SHA256,
                    AlgorithmIdentifiers.ECDSA_USING_P384_CURVE_AND_SHA384,
                    AlgorithmIdentifiers.ECDSA_USING_P521_CURVE_AND_SHA512));
    if (keys instanceof PublicKey key) {
      builder.setVerificationKey(key);
    } else {
      builder.setVerificationKeyResolver((VerificationKeyResolver) keys);
    }
    return builder.build();
  }

  static PublicKey rsaKey(String pem) {
    String base64 = pem.replaceAll("-----(BEGIN|END) PUBLIC KEY-----", "").replaceAll("\\s", "");
    try {
      return KeyFactory.getInstance("RSA")
          .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(base64)));
    } catch (Exception e) {
      throw new IllegalArgumentException(
          "modelfleet.oidc.public-key is not an RSA public key in PEM: " + e.getMessage(), e);
    }
  }
}
