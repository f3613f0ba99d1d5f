package dev.modelfleet.server.access;

import static dev.modelfleet.server.support.Api.PROBLEM_JSON;
import static dev.modelfleet.server.support.Api.admin;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Eventually;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;
import org.jose4j.keys.HmacKey;
import org.junit.jupiter.api.Test;

/**
 * People signing in with OpenID Connect tokens. The provider is {@link OidcProvider}: its discovery
 * document and keys (JWKS) served over real HTTP, tokens signed with its keys.
 */
@QuarkusTest
@TestProfile(OidcTest.Provider.class)
class OidcTest {

  public static class Provider implements QuarkusTestProfile {
    @Override
    public List<TestResourceEntry> testResources() {
      return List.of(new TestResourceEntry(OidcProvider.class));
    }
  }

  @Test
  void howToSignInIsPublicAndNamesTheProviderAndClient() {
    given()
        .get("/auth/v1/config")
        .then()
        .statusCode(200)
        .body("oidc.issuer", equalTo(OidcProvider.issuer()))
        .body("oidc.clientId", equalTo(OidcProvider.AUDIENCE))
        .body("oidc.audience", equalTo(OidcProvider.AUDIENCE))
        .body("oidc.scopes", equalTo("openid profile"));
    given()
        .get("/console/login")
        .then()
        .statusCode(200)
        .body(org.hamcrest.Matchers.containsString("href=\"/console/login/oidc\""));
  }

  @Test
  void aPersonWithAMappedGroupActsWithItsRoleAndIsNamedInTheAuditLog() {
    String alice = Api.unique("alice");
    String token = sign(claims(alice, List.of("staff", "fleet-ops")));
    String model = Api.unique("model");
    given()
        .header("Authorization", "Bearer " + token)
        .contentType(ContentType.JSON)
        .body(Map.of("name", model))
        .post("/api/v1/models")
        .then()
        .statusCode(201);
    given()
        .header("Authorization", "Bearer " + token)
        .get("/api/v1/access/tokens")
        .then()
        .statusCode(403)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("forbidden"));
    // reads are not audited: the one entry is the create
    admin()
        .queryParam("actor", "oidc:" + alice)
        .get("/api/v1/audit")
        .then()
        .statusCode(200)
        .body("size()", equalTo(1))
        .body("[0].role", equalTo("operator"))
        .body("[0].path", equalTo("/api/v1/models"))
        .body("[0].status", equalTo(201));
  }

  @Test
  void theHighestMappedRoleWins() {
    String admins = sign(claims("root-person", List.of("fleet-readers", "fleet-admins")));
    given().header("Authorization", "Bearer " + admins).get("/api/v1/audit").then().statusCode(200);
    String viewer = sign(claims("reader", "fleet-readers"));
    given()
        .header("Authorization", "Bearer " + viewer)
        .get("/api/v1/models")
        .then()
        .statusCode(200);
    given()
        .header("Authorization", "Bearer " + viewer)
        .contentType(ContentType.JSON)
        .body(Map.of("name", Api.unique("model")))
        .post("/api/v1/models")
        .then()
        .statusCode(403);
  }

  @Test
  void aClaimValueThatIsNotMappedGivesNoRoleEvenWhenItIsARolesName() {
    for (Object groups : List.of("admin", List.of("admin", "operator", "viewer"), "staff")) {
      String token = sign(claims("mallory", groups));
      given()
          .header("Authorization", "Bearer " + token)
          .get("/api/v1/models")
          .then()
          .statusCode(403)
          .contentType(PROBLEM_JSON)
          .body("code", equalTo("forbidden"));
    }
  }

  @Test
  void tokensThatAreNotTheProvidersForThisServerOrValidNowAreRefused() {
    Map<String, String> refused = new LinkedHashMap<>();
    JwtClaims expired = claims("mallory", "fleet-admins");
    expired.setExpirationTimeMinutesInTheFuture(-10);
    refused.put("expired", sign(expired));
    String unpublished = OidcProvider.newKey();
    refused.put(
        "a key the provider does not publish",
        OidcProvider.sign(claims("mallory", "fleet-admins"), unpublished));
    JwtClaims wrongIssuer = claims("mallory", "fleet-admins");
    wrongIssuer.setIssuer("https://evil.example.test");
    refused.put("wrong issuer", sign(wrongIssuer));
    JwtClaims wrongAudience = claims("mallory", "fleet-admins");
    wrongAudience.setAudience("another-app");
    refused.put("wrong audience", sign(wrongAudience));
    JwtClaims noAudience = claims("mallory", "fleet-admins");
    noAudience.unsetClaim("aud");
    refused.put("no audience", sign(noAudience));
    JwtClaims otherClient = claims("mallory", "fleet-admins");
    otherClient.setClaim("azp", "another-app");
    refused.put("issued to another client (azp)", sign(otherClient));
    JwtClaims sharedAudience = claims("mallory", "fleet-admins");
    sharedAudience.setAudience(OidcProvider.AUDIENCE, "another-service");
    refused.put("several audiences and no azp", sign(sharedAudience));
    JwtClaims noExpiry = claims("mallory", "fleet-admins");
    noExpiry.unsetClaim("exp");
    refused.put("no expiry", sign(noExpiry));
    refused.put("HMAC with the public key as secret", hmac(claims("mallory", "fleet-admins")));
    refused.put("unsigned", unsigned(claims("mallory", "fleet-admins")));
    refused.put("tampered", tamper(sign(claims("mallory", "fleet-readers"))));
    refused.forEach(
        (why, token) ->
            given()
                .header("Authorization", "Bearer " + token)
                .get("/api/v1/models")
                .then()
                .statusCode(401)
                .contentType(PROBLEM_JSON)
                .body("code", equalTo("unauthenticated")));
  }

  @Test
  void aTokenForAnAcceptedClientMayNameSeveralAudiences() {
    JwtClaims claims = claims("carol", "fleet-readers");
    claims.setAudience(OidcProvider.AUDIENCE, "account");
    claims.setClaim("azp", OidcProvider.CLI);
    given()
        .header("Authorization", "Bearer " + sign(claims))
        .get("/api/v1/models")
        .then()
        .statusCode(200);
  }

  @Test
  void aKeyTheProviderRotatesToIsUsedWithoutARestart() {
    String rotated = OidcProvider.newKey();
    OidcProvider.publish(rotated);
    String token = OidcProvider.sign(claims("dave", "fleet-readers"), rotated);
    // the server fetches the keys again on the first token with the new key id, or within the
    // minimum interval between two fetches (1 s here) if it fetched just before
    Eventually.within(
        Duration.ofSeconds(10),
        () ->
            given()
                .header("Authorization", "Bearer " + token)
                .get("/api/v1/models")
                .then()
                .statusCode(200));
    given()
        .header("Authorization", "Bearer " + sign(claims("dave", "fleet-readers")))
        .get("/api/v1/models")
        .then()
        .statusCode(200);
  }

  @Test
  void tokensWithMadeUpKeyIdsDoNotMakeTheServerFetchTheKeysEachTime() {
    String unpublished = OidcProvider.newKey();
    int before = OidcProvider.fetches();
    long started = System.nanoTime();
    for (int i = 0; i < 40; i++) {
      given()
          .header(
              "Authorization",
              "Bearer " + OidcProvider.sign(claims("mallory", "fleet-admins"), unpublished))
          .get("/api/v1/models")
          .then()
          .statusCode(401);
    }
    long seconds = Duration.ofNanos(System.nanoTime() - started).toSeconds();
    int fetched = OidcProvider.fetches() - before;
    assertTrue(fetched <= seconds + 1, fetched + " fetches in " + seconds + " s for 40 tokens");
  }

  @Test
  void tokensAndTheAdminTokenStillWork() {
    admin().get("/api/v1/models").then().statusCode(200);
    ApiClients.create("viewer").call().get("/api/v1/models").then().statusCode(200);
  }

  private static JwtClaims claims(String name, Object groups) {
    JwtClaims claims = new JwtClaims();
    claims.setIssuer(OidcProvider.issuer());
    claims.setAudience(OidcProvider.AUDIENCE);
    claims.setSubject("sub-" + name);
    claims.setClaim("preferred_username", name);
    claims.setClaim("groups", groups);
    claims.setIssuedAtToNow();
    NumericDate expiry = NumericDate.now();
    expiry.addSeconds(300);
    claims.setExpirationTime(expiry);
    return claims;
  }

  private static String sign(JwtClaims claims) {
    return OidcProvider.sign(claims, OidcProvider.signingKey());
  }

  /** The classic confusion attack: HS256 keyed with the provider's public key bytes. */
  private static String hmac(JwtClaims claims) {
    try {
      JsonWebSignature jws = new JsonWebSignature();
      jws.setPayload(claims.toJson());
      jws.setKey(new HmacKey(OidcProvider.publicKeyBytes(OidcProvider.signingKey())));
      jws.setKeyIdHeaderValue(OidcProvider.signingKey());
      jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.HMAC_SHA256);
      jws.setDoKeyValidation(false);
      return jws.getCompactSerialization();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String unsigned(JwtClaims claims) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    return b64.encodeToString("{\"alg\":\"none\"}".getBytes())
        + "."
        + b64.encodeToString(claims.toJson().getBytes())
        + ".";
  }

  /** A viewer's token with its payload swapped for an admin's, signature kept. */
  private static String tamper(String token) {
    String[] parts = token.split("\\.");
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String payload =
        new String(Base64.getUrlDecoder().decode(parts[1]))
            .replace("\"fleet-readers\"", "\"fleet-admins\"");
    return parts[0] + "." + b64.encodeToString(payload.getBytes()) + "." + parts[2];
  }
}
