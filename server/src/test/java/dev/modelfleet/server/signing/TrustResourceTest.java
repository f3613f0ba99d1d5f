package dev.modelfleet.server.signing;

import static dev.modelfleet.server.support.Api.admin;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.server.support.Signatures;
import io.quarkus.test.junit.QuarkusTest;
import java.util.Base64;
import org.junit.jupiter.api.Test;

@QuarkusTest
class TrustResourceTest {

  @Test
  void rootMetadataIsSignedByTheRootKeyItServes() throws Exception {
    var json =
        admin()
            .get("/api/v1/trust/root")
            .then()
            .statusCode(200)
            .body("keys", hasSize(3))
            .body("roles.role", org.hamcrest.Matchers.contains("root", "targets", "director"))
            .body("rootKeyOnline", equalTo(true))
            .body("rootPublicKeyPem", containsString("BEGIN PUBLIC KEY"))
            .extract()
            .jsonPath();
    byte[] rootKey = Signatures.pinnedRootKey();
    var root =
        Signatures.verifiedRoot(
            SignedEnvelope.parseFrom(
                Base64.getDecoder().decode(json.getString("signedEnvelopeBase64"))),
            rootKey);
    assertEquals(Dsse.keyId(rootKey), root.getRoles(0).getKeyIds(0));
  }

  @Test
  void pemIsPlainTextAndNeedsTheAdminToken() {
    admin()
        .get("/api/v1/trust/root.pem")
        .then()
        .statusCode(200)
        .contentType(containsString("application/x-pem-file"))
        .body(containsString("-----BEGIN PUBLIC KEY-----"));
    given().get("/api/v1/trust/root.pem").then().statusCode(401);
  }
}
