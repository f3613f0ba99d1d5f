package dev.modelfleet.server.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.modelfleet.agent.tls.CertificateRequest;
import dev.modelfleet.server.common.ApiException;
import java.security.KeyPair;
import org.junit.jupiter.api.Test;

/**
 * The agent writes its PKCS#10 requests with the JDK alone; the server's BouncyCastle reads them.
 */
class AgentCertificateRequestTest {

  @Test
  void theServerAcceptsTheAgentsRequestsWithAndWithoutACommonName() {
    KeyPair key = CertificateRequest.newKeyPair();
    var named =
        CertificateRequests.check(
            CertificateRequest.create(key, "0b6f3c8e-1d2a-4c1e-9a53-7f0e2d1c9b44"));
    assertEquals(key.getPublic(), named.key());
    assertEquals("0b6f3c8e-1d2a-4c1e-9a53-7f0e2d1c9b44", named.commonName());
    var anonymous = CertificateRequests.check(CertificateRequest.create(key, ""));
    assertEquals(key.getPublic(), anonymous.key());
    assertEquals("", anonymous.commonName());
  }

  @Test
  void aRequestAlteredAfterSigningIsRefused() {
    byte[] request = CertificateRequest.create(CertificateRequest.newKeyPair(), "device-name");
    int at =
        new String(request, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf("device-name");
    request[at] = 'D';
    var e = assertThrows(ApiException.class, () -> CertificateRequests.check(request));
    assertEquals(true, e.detail().contains("not signed by the key it carries"), e.detail());
  }
}
