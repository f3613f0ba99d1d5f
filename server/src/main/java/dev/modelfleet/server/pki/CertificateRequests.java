package dev.modelfleet.server.pki;

import dev.modelfleet.server.common.ApiError;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;

/**
 * Checks a device's PKCS#10 request before anything is stored: it parses, carries a P-256 key, and
 * is signed by that key (proof that the device holds the private half). The server takes only the
 * key from it; subject and extensions of the certificate are the server's choice.
 */
final class CertificateRequests {

  /** The public key asked for, and the request's common name (empty when it has none). */
  record Checked(PublicKey key, String commonName) {}

  private static final ECPublicKey P256 = (ECPublicKey) FleetCa.newP256KeyPair().getPublic();

  private CertificateRequests() {}

  static Checked check(byte[] der) {
    if (der == null || der.length == 0) {
      throw ApiError.INVALID_REQUEST.exception("certificate_request is empty");
    }
    JcaPKCS10CertificationRequest request;
    PublicKey key;
    try {
      request = new JcaPKCS10CertificationRequest(der);
      key = request.getPublicKey();
    } catch (IOException | RuntimeException | GeneralSecurityException e) {
      throw ApiError.INVALID_REQUEST.exception(
          "certificate_request is not a PKCS#10 certificate request in DER: " + e.getMessage());
    }
    if (!(key instanceof ECPublicKey ec) || !onP256(ec)) {
      throw ApiError.INVALID_REQUEST.exception(
          "certificate_request must carry an ECDSA P-256 (secp256r1) key, got "
              + key.getAlgorithm());
    }
    boolean valid;
    try {
      valid = request.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key));
    } catch (OperatorCreationException | PKCSException | RuntimeException e) {
      valid = false;
    }
    if (!valid) {
      throw ApiError.INVALID_REQUEST.exception(
          "certificate_request is not signed by the key it"
              + " carries (a request must be signed by its own private key)");
    }
    RDN[] cn = request.getSubject().getRDNs(BCStyle.CN);
    String commonName = cn.length == 0 ? "" : IETFUtils.valueToString(cn[0].getFirst().getValue());
    return new Checked(key, commonName);
  }

  private static boolean onP256(ECPublicKey key) {
    var params = key.getParams();
    var expected = P256.getParams();
    return params.getOrder().equals(expected.getOrder())
        && params.getGenerator().equals(expected.getGenerator())
        && params.getCurve().equals(expected.getCurve());
  }
}
