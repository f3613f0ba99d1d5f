package dev.modelfleet.agent.tls;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * The device's TLS for the server's HTTPS artifact port: it presents the device certificate and
 * trusts only the fleet CA, like the gRPC channel. Never used towards any other address (a CDN must
 * not see the device certificate, and is not certified by the fleet CA). Offers ChaCha20 first
 * ({@link CipherPreference}).
 */
public final class DeviceTlsContext {

  private DeviceTlsContext() {}

  public static SSLSocketFactory socketFactory(List<X509Certificate> fleetCa, TlsIdentity identity)
      throws IOException {
    try {
      char[] password = new char[0];
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry(
          "device", identity.key(), password, new X509Certificate[] {identity.certificate()});
      KeyManagerFactory keyManagers =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keyManagers.init(keys, password);
      KeyStore trusted = KeyStore.getInstance("PKCS12");
      trusted.load(null, null);
      for (int i = 0; i < fleetCa.size(); i++) {
        trusted.setCertificateEntry("fleet-ca-" + i, fleetCa.get(i));
      }
      TrustManagerFactory trust =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(trusted);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keyManagers.getKeyManagers(), trust.getTrustManagers(), null);
      return CipherPreference.preferring(context.getSocketFactory());
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot set up TLS with the device certificate: " + e.getMessage(), e);
    }
  }
}
