package dev.modelfleet.server.access;

import static dev.modelfleet.server.support.Api.PROBLEM_JSON;
import static dev.modelfleet.server.support.Api.admin;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

import dev.modelfleet.server.support.Api;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;
import org.jose4j.keys.HmacKey;
import org.junit.jupiter.api.Test;

/**
 * People signing in with OpenID Connect tokens, checked against a provider key made here: no
 * identity provider runs, as none needs to (the server never calls it).
 */
@QuarkusTest
@TestProfile(OidcTest.Provider.class)
class OidcTest {

  static final String ISSUER = "https://login.example.test/realms/fleet";
  static final String AUDIENCE = "modelfleet";
  // JVM-wide, since the profile and the test may be loaded by different class loaders
  private static final String PRIVATE_KEY = "oidc-test.private-key";
  private static final String PUBLIC_KEY = "oidc-test.public-key";

  public static class Provider implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of(
          "modelfleet.oidc.enabled", "true",
          "modelfleet.oidc.issuer", ISSUER,
          "modelfleet.oidc.audience", AUDIENCE,
          "modelfleet.oidc.public-key", publicKeyPem(),
          "modelfleet.oidc.role-mappings", "fleet-ops=operator,fleet-admins=admin");
    }
  }

  @Test
  void aPersonWithAMappedGroupActsWithItsRoleAndIsNamedInTheAuditLog() throws Exception {
    String alice = Api.unique("alice");
    String token = sign(claims(alice, List.of("staff", "fleet-ops"), 300));
    String model = Api.unique("model");
    given().header("Authorization", "Bearer " + token).contentType(ContentType.JSON)
        .body(Map.of("name", model)).post("/api/v1/models").then().statusCode(201);
    given().header("Authorization", "Bearer " + token).get("/api/v1/access/tokens")
        .then().statusCode(403).contentType(PROBLEM_JSON).body("code", equalTo("forbidden"));
    // reads are not audited: the one entry is the create
    admin().queryParam("actor", "oidc:" + alice).get("/api/v1/audit")
        .then().statusCode(200)
        .body("size()", equalTo(1))
        .body("[0].role", equalTo("operator"))
        .body("[0].path", equalTo("/api/v1/models"))
        .body("[0].status", equalTo(201));
  }

  @Test
  void theHighestMappedRoleWinsAndRoleNamesMapToThemselves() throws Exception {
    String admins = sign(claims("root-person", List.of("viewer", "fleet-admins"), 300));
    given().header("Authorization", "Bearer " + admins).get("/api/v1/audit").then().statusCode(200);
    String viewer = sign(claims("reader", "viewer", 300));
    given().header("Authorization", "Bearer " + viewer).get("/api/v1/models").then().statusCode(200);
    given().header("Authorization", "Bearer " + viewer).contentType(ContentType.JSON)
        .body(Map.of("name", Api.unique("model"))).post("/api/v1/models").then().statusCode(403);
  }

  @Test
  void tokensThatAreNotTheProvidersOrNotValidNowAreRefused() throws Exception {
    KeyPair other = KeyPairGenerator.getInstance("RSA").generateKeyPair();
    JwtClaims wrongIssuer = claims("mallory", "admin", 300);
    wrongIssuer.setIssuer("https://evil.example.test");
    JwtClaims wrongAudience = claims("mallory", "admin", 300);
    wrongAudience.setAudience("another-app");
    JwtClaims noExpiry = claims("mallory", "admin", 300);
    noExpiry.unsetClaim("exp");
    Map<String, String> refused = Map.of(
        "expired", sign(claims("mallory", "admin", -600)),
        "another key", sign(claims("mallory", "admin", 300), other.getPrivate()),
        "wrong issuer", sign(wrongIssuer),
        "wrong audience", sign(wrongAudience),
        "no expiry", sign(noExpiry),
        "HMAC with the public key as secret", hmac(claims("mallory", "admin", 300)),
        "unsigned", unsigned(claims("mallory", "admin", 300)),
        "tampered", tamper(sign(claims("mallory", "viewer", 300))));
    refused.forEach((why, token) ->
        given().header("Authorization", "Bearer " + token).get("/api/v1/models")
            .then().statusCode(401).contentType(PROBLEM_JSON).body("code", equalTo("unauthenticated")));
  }

  @Test
  void aValidTokenWithoutAMappedRoleIsForbidden() throws Exception {
    String token = sign(claims("bob", List.of("staff"), 300));
    given().header("Authorization", "Bearer " + token).get("/api/v1/models")
        .then().statusCode(403).contentType(PROBLEM_JSON).body("code", equalTo("forbidden"));
  }

  @Test
  void tokensAndTheAdminTokenStillWork() {
    admin().get("/api/v1/models").then().statusCode(200);
    ApiClients.create("viewer").call().get("/api/v1/models").then().statusCode(200);
  }

  private static JwtClaims claims(String name, Object groups, int expiresInSeconds) {
    JwtClaims claims = new JwtClaims();
    claims.setIssuer(ISSUER);
    claims.setAudience(AUDIENCE);
    claims.setSubject("sub-" + name);
    claims.setClaim("preferred_username", name);
    claims.setClaim("groups", groups);
    claims.setIssuedAtToNow();
    NumericDate expiry = NumericDate.now();
    expiry.addSeconds(expiresInSeconds);
    claims.setExpirationTime(expiry);
    return claims;
  }

  private static String sign(JwtClaims claims) throws Exception {
    return sign(claims, privateKey());
  }

  private static String sign(JwtClaims claims, PrivateKey key) throws Exception {
    JsonWebSignature jws = new JsonWebSignature();
    jws.setPayload(claims.toJson());
    jws.setKey(key);
    jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.RSA_USING_SHA256);
    return jws.getCompactSerialization();
  }

  /** The classic confusion attack: HS256 keyed with the provider's public key bytes. */
  private static String hmac(JwtClaims claims) throws Exception {
    JsonWebSignature jws = new JsonWebSignature();
    jws.setPayload(claims.toJson());
    jws.setKey(new HmacKey(publicKeyPem().getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.HMAC_SHA256);
    jws.setDoKeyValidation(false);
    return jws.getCompactSerialization();
  }

  private static String unsigned(JwtClaims claims) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    return b64.encodeToString("{\"alg\":\"none\"}".getBytes()) + "."
        + b64.encodeToString(claims.toJson().getBytes()) + ".";
  }

  /** The viewer's token with its payload swapped for an admin's, signature kept. */
  private static String tamper(String token) {
    String[] parts = token.split("\\.");
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String payload = new String(Base64.getUrlDecoder().decode(parts[1])).replace("\"viewer\"", "\"admin\"");
    return parts[0] + "." + b64.encodeToString(payload.getBytes()) + "." + parts[2];
  }

  private static synchronized void ensureKeys() {
    if (System.getProperty(PRIVATE_KEY) != null) {
      return;
    }
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      KeyPair pair = generator.generateKeyPair();
      System.setProperty(PRIVATE_KEY, Base64.getEncoder().encodeToString(pair.getPrivate().getEncoded()));
      System.setProperty(PUBLIC_KEY, "-----BEGIN PUBLIC KEY-----\n"
          + Base64.getMimeEncoder().encodeToString(pair.getPublic().getEncoded())
          + "\n-----END PUBLIC KEY-----\n");
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static String publicKeyPem() {
    ensureKeys();
    return System.getProperty(PUBLIC_KEY);
  }

  private static PrivateKey privateKey() throws Exception {
    ensureKeys();
    return KeyFactory.getInstance("RSA").generatePrivate(
        new PKCS8EncodedKeySpec(Base64.getDecoder().decode(System.getProperty(PRIVATE_KEY))));
  }
}
