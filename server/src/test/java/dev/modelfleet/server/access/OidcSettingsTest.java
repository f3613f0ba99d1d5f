package dev.modelfleet.server.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.server.access.ApiTokenService.Authentication;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the OpenID Connect settings require before the server starts, and what the verifier makes of
 * a token, with a fixed provider key (no HTTP: {@link OidcTest} covers the JWKS).
 */
class OidcSettingsTest {

  private static final String ISSUER = "https://login.example.test/realms/fleet";
  private static KeyPair provider;

  /** The settings, as OidcConfig reads them. */
  record Settings(
      boolean enabled,
      Optional<String> issuer,
      Optional<String> audience,
      Optional<List<String>> clientIds,
      Optional<String> jwksUrl,
      Duration jwksRefreshInterval,
      Duration jwksMinRefetchInterval,
      Optional<String> publicKey,
      String rolesClaim,
      Optional<List<String>> roleMappings,
      String nameClaim,
      Duration clockSkew)
      implements OidcConfig {

    // the sign-in clients: the audience, as by default
    @Override
    public Optional<String> cliClientId() {
      return Optional.empty();
    }

    @Override
    public Optional<String> consoleClientId() {
      return Optional.empty();
    }

    @Override
    public Optional<String> consoleClientSecret() {
      return Optional.empty();
    }

    @Override
    public Optional<String> consoleRedirectUri() {
      return Optional.empty();
    }

    @Override
    public String scopes() {
      return "openid profile";
    }

    static Settings complete() {
      return new Settings(
          true,
          Optional.of(ISSUER),
          Optional.of("modelfleet"),
          Optional.empty(),
          Optional.empty(),
          Duration.ofMinutes(10),
          Duration.ofSeconds(10),
          Optional.of(publicKeyPem()),
          "groups",
          Optional.of(List.of("fleet-admins=admin")),
          "preferred_username",
          Duration.ofSeconds(60));
    }

    Settings withAudience(Optional<String> value) {
      return new Settings(
          enabled,
          issuer,
          value,
          clientIds,
          jwksUrl,
          jwksRefreshInterval,
          jwksMinRefetchInterval,
          publicKey,
          rolesClaim,
          roleMappings,
          nameClaim,
          clockSkew);
    }

    Settings withRoleMappings(Optional<List<String>> value) {
      return new Settings(
          enabled,
          issuer,
          audience,
          clientIds,
          jwksUrl,
          jwksRefreshInterval,
          jwksMinRefetchInterval,
          publicKey,
          rolesClaim,
          value,
          nameClaim,
          clockSkew);
    }

    Settings withJwks(String issuerUrl, Optional<String> url) {
      return new Settings(
          enabled,
          Optional.of(issuerUrl),
          audience,
          clientIds,
          url,
          jwksRefreshInterval,
          jwksMinRefetchInterval,
          Optional.empty(),
          rolesClaim,
          roleMappings,
          nameClaim,
          clockSkew);
    }
  }

  @BeforeAll
  static void providerKey() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    provider = generator.generateKeyPair();
  }

  @Test
  void oidcWithoutAnAudienceDoesNotStart() {
    for (Optional<String> none : List.of(Optional.<String>empty(), Optional.of(" "))) {
      IllegalArgumentException refused =
          assertThrows(
              IllegalArgumentException.class,
              () -> new OidcVerifier(Settings.complete().withAudience(none)));
      assertTrue(
          refused.getMessage().contains("modelfleet.oidc.audience is required"),
          refused.getMessage());
    }
  }

  @Test
  void oidcWithoutRoleMappingsDoesNotStart() {
    for (Optional<List<String>> none :
        List.of(Optional.<List<String>>empty(), Optional.of(List.<String>of()))) {
      IllegalArgumentException refused =
          assertThrows(
              IllegalArgumentException.class,
              () -> new OidcVerifier(Settings.complete().withRoleMappings(none)));
      assertTrue(
          refused.getMessage().contains("modelfleet.oidc.role-mappings is required"),
          refused.getMessage());
    }
  }

  @Test
  void keysAreFetchedOverHttpsOrFromThisHostOnly() {
    for (String url : List.of("http://login.example.test/certs", "ftp://127.0.0.1/certs")) {
      IllegalArgumentException refused =
          assertThrows(
              IllegalArgumentException.class,
              () -> new OidcVerifier(Settings.complete().withJwks(ISSUER, Optional.of(url))));
      assertTrue(refused.getMessage().contains("must be an https URL"), refused.getMessage());
    }
    IllegalArgumentException discovered =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new OidcVerifier(
                    Settings.complete()
                        .withJwks("http://login.example.test/realms/x", Optional.empty())));
    assertTrue(discovered.getMessage().contains("must be an https URL"), discovered.getMessage());
    new OidcVerifier(Settings.complete().withJwks(ISSUER, Optional.empty()));
    new OidcVerifier(
        Settings.complete().withJwks(ISSUER, Optional.of("http://127.0.0.1:8180/certs")));
  }

  @Test
  void onlyMappedClaimValuesGiveARole() throws Exception {
    OidcVerifier verifier = new OidcVerifier(Settings.complete());
    Authentication mapped = verifier.verify(sign(claims(List.of("staff", "fleet-admins"))));
    assertEquals(Role.ADMIN, mapped.identity().role());
    Authentication roleName = verifier.verify(sign(claims(List.of("admin", "viewer"))));
    assertNotNull(roleName.identity(), "a valid token: the person is known");
    assertNull(roleName.identity().role(), "but a claim value named like a role gives none");
  }

  @Test
  void theAuthorizedPartyMustBeAnAcceptedClient() throws Exception {
    OidcVerifier verifier = new OidcVerifier(Settings.complete());
    JwtClaims otherClient = claims(List.of("fleet-admins"));
    otherClient.setClaim("azp", "another-app");
    assertNull(verifier.verify(sign(otherClient)).identity());
    JwtClaims shared = claims(List.of("fleet-admins"));
    shared.setAudience("modelfleet", "another-service");
    assertNull(verifier.verify(sign(shared)).identity(), "several audiences need an azp");
    shared.setClaim("azp", "modelfleet");
    assertEquals(Role.ADMIN, verifier.verify(sign(shared)).identity().role());
  }

  @Test
  void aTokenWithoutTheAudienceIsRefused() throws Exception {
    OidcVerifier verifier = new OidcVerifier(Settings.complete());
    JwtClaims none = claims(List.of("fleet-admins"));
    none.unsetClaim("aud");
    assertNull(verifier.verify(sign(none)).identity());
    JwtClaims other = claims(List.of("fleet-admins"));
    other.setAudience("another-app");
    assertNull(verifier.verify(sign(other)).identity());
  }

  private static JwtClaims claims(Object groups) {
    JwtClaims claims = new JwtClaims();
    claims.setIssuer(ISSUER);
    claims.setAudience("modelfleet");
    claims.setSubject("sub-erin");
    claims.setClaim("preferred_username", "erin");
    claims.setClaim("groups", groups);
    NumericDate expiry = NumericDate.now();
    expiry.addSeconds(300);
    claims.setExpirationTime(expiry);
    return claims;
  }

  private static String sign(JwtClaims claims) throws Exception {
    JsonWebSignature jws = new JsonWebSignature();
    jws.setPayload(claims.toJson());
    jws.setKey(provider.getPrivate());
    jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.RSA_USING_SHA256);
    return jws.getCompactSerialization();
  }

  private static String publicKeyPem() {
    return "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder().encodeToString(provider.getPublic().getEncoded())
        + "\n-----END PUBLIC KEY-----\n";
  }
}
