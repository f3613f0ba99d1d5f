package dev.modelfleet.server.access;

import dev.modelfleet.server.access.ApiTokenService.Authentication;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jwa.AlgorithmConstraints.ConstraintType;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.consumer.InvalidJwtException;
import org.jose4j.jwt.consumer.JwtConsumer;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;
import org.jboss.logging.Logger;

/**
 * Turns a person's OpenID Connect access token into an {@link Identity}: the signature must be
 * the provider's (RSA, with the configured key; "none" and HMAC are refused, so a token cannot
 * choose how it is checked), the issuer, audience and lifetime must hold, and a claim must map
 * to a role. People are named {@code oidc:<name>}, which no API token name can be (API token
 * names have no colon), so the audit log never confuses the two.
 */
@ApplicationScoped
@Startup // a misconfiguration stops the server at start, not at the first request
public class OidcVerifier {

  private static final Logger LOG = Logger.getLogger(OidcVerifier.class);
  static final String PREFIX = "oidc:";

  private final OidcConfig config;
  private final JwtConsumer consumer;
  private final Map<String, Role> mappings = new HashMap<>();

  OidcVerifier(OidcConfig config) {
    this.config = config;
    this.consumer = config.enabled() ? consumer(config) : null;
    config.roleMappings().orElse(List.of()).forEach(this::addMapping);
  }

  public boolean enabled() {
    return consumer != null;
  }

  /** A compact JWS: three base64url parts. API tokens and the admin token never look like one. */
  public static boolean looksLikeJwt(String token) {
    return token.chars().filter(c -> c == '.').count() == 2 && token.startsWith("eyJ");
  }

  /** The person the token stands for; a refusal says why not without echoing the token. */
  public Authentication verify(String jwt) {
    JwtClaims claims;
    try {
      claims = consumer.processToClaims(jwt);
    } catch (InvalidJwtException e) {
      LOG.debugf("OIDC token refused: %s", e.getMessage());
      return Authentication.refused(e.hasExpired()
          ? "The OpenID Connect token expired; sign in again."
          : "The OpenID Connect token is not valid for this server.");
    }
    Role role = role(claims);
    String name = name(claims);
    return Authentication.of(new Identity(PREFIX + name, role));
  }

  /** The highest role the token's claim values map to; null when none does. */
  private Role role(JwtClaims claims) {
    Object value = claims.getClaimValue(config.rolesClaim());
    List<?> values = value instanceof List<?> list ? list : value == null ? List.of() : List.of(value);
    Role best = null;
    for (Object item : values) {
      if (!(item instanceof String text)) {
        continue;
      }
      Role role = mappings.containsKey(text) ? mappings.get(text) : Role.parse(text);
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
    Role role = eq <= 0 ? null : Role.parse(entry.substring(eq + 1).trim().toLowerCase(Locale.ROOT));
    if (role == null) {
      throw new IllegalArgumentException("modelfleet.oidc.role-mappings: '" + entry
          + "' is not value=role with role admin, operator or viewer");
    }
    mappings.put(entry.substring(0, eq).trim(), role);
  }

  private static JwtConsumer consumer(OidcConfig config) {
    String issuer = config.issuer().orElseThrow(() -> new IllegalArgumentException(
        "modelfleet.oidc.issuer is required when modelfleet.oidc.enabled=true"));
    PublicKey key = rsaKey(config.publicKey().orElseThrow(() -> new IllegalArgumentException(
        "modelfleet.oidc.public-key (the provider's RSA key, PEM) is required when"
            + " modelfleet.oidc.enabled=true")));
    JwtConsumerBuilder builder = new JwtConsumerBuilder()
        .setRequireExpirationTime()
        .setRequireSubject()
        .setAllowedClockSkewInSeconds((int) config.clockSkew().toSeconds())
        .setExpectedIssuer(issuer)
        .setVerificationKey(key)
        .setJwsAlgorithmConstraints(new AlgorithmConstraints(ConstraintType.PERMIT,
            AlgorithmIdentifiers.RSA_USING_SHA256, AlgorithmIdentifiers.RSA_USING_SHA384,
            AlgorithmIdentifiers.RSA_USING_SHA512, AlgorithmIdentifiers.RSA_PSS_USING_SHA256));
    config.audience().ifPresentOrElse(builder::setExpectedAudience,
        builder::setSkipDefaultAudienceValidation);
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
