package dev.modelfleet.server.pki;

import dev.modelfleet.server.common.ModelFleetConfig;
import dev.modelfleet.server.signing.KeyDirectory;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The fleet's certificate authority for agent transport: an ECDSA P-256 key and a self-signed
 * certificate, made on the first start in the key directory ({@code fleet-ca.key}, owner-only;
 * {@code fleet-ca.pem}) and shared by every replica that shares the directory. It only signs TLS
 * certificates; the TUF root and targets keys stay separate, so a compromise of one does not give
 * the other.
 */
@ApplicationScoped
public class FleetCa {

  static final String KEY_FILE = "fleet-ca.key";
  static final String CERT_FILE = "fleet-ca.pem";
  private static final Duration CA_LIFETIME = Duration.ofDays(20 * 365);

  /** Certificates start a little in the past so a device clock slightly behind accepts them. */
  static final Duration BACKDATE = Duration.ofMinutes(5);

  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final KeyPair key;
  private final X509Certificate certificate;

  FleetCa(ModelFleetConfig config, Clock clock) {
    this.clock = clock;
    try {
      KeyDirectory dir = new KeyDirectory(config.keyDir());
      this.key = parseKeyPair(dir.loadOrPublish(KEY_FILE, FleetCa::newKeyPairPem));
      // derived from the published key, so whichever replica publishes first, all agree
      this.certificate =
          parseCertificate(
              Pem.decode(
                  "CERTIFICATE",
                  dir.loadOrPublish(
                      CERT_FILE,
                      () ->
                          Pem.encode("CERTIFICATE", selfSigned())
                              .getBytes(StandardCharsets.US_ASCII))));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot use key directory " + config.keyDir(), e);
    }
  }

  public X509Certificate certificate() {
    return certificate;
  }

  public String certificatePem() {
    try {
      return Pem.encode("CERTIFICATE", certificate.getEncoded());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Whether this CA signed {@code cert} (its validity is checked separately). */
  boolean signed(X509Certificate cert) {
    try {
      cert.verify(key.getPublic());
      return cert.getIssuerX500Principal().equals(certificate.getSubjectX500Principal());
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /** What a new certificate says beyond its subject, key and validity. */
  record Profile(KeyPurposeId purpose, GeneralNames subjectAltNames) {}

  X509Certificate issue(
      String commonName,
      PublicKey subjectKey,
      Instant notBefore,
      Instant notAfter,
      Profile profile) {
    try {
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
                  certificate,
                  serial(),
                  Date.from(notBefore),
                  Date.from(notAfter),
                  new X500Name("CN=" + commonName),
                  subjectKey)
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
              .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
              .addExtension(
                  Extension.extendedKeyUsage, false, new ExtendedKeyUsage(profile.purpose()))
              .addExtension(Extension.subjectAlternativeName, false, profile.subjectAltNames())
              .addExtension(
                  Extension.subjectKeyIdentifier,
                  false,
                  utils.createSubjectKeyIdentifier(subjectKey))
              .addExtension(
                  Extension.authorityKeyIdentifier,
                  false,
                  utils.createAuthorityKeyIdentifier(certificate));
      return sign(builder);
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("cannot issue a certificate: " + e.getMessage(), e);
    }
  }

  Instant now() {
    return clock.instant();
  }

  private byte[] selfSigned() {
    try {
      Instant now = clock.instant();
      X500Name name = new X500Name("CN=ModelFleet fleet CA,O=ModelFleet");
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
                  name,
                  serial(),
                  Date.from(now.minus(BACKDATE)),
                  Date.from(now.plus(CA_LIFETIME)),
                  name,
                  key.getPublic())
              // path length 0: it signs device and server certificates, never another CA
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
              .addExtension(
                  Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
              .addExtension(
                  Extension.subjectKeyIdentifier,
                  false,
                  utils.createSubjectKeyIdentifier(key.getPublic()));
      return sign(builder).getEncoded();
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("cannot create the fleet CA certificate", e);
    }
  }

  private X509Certificate sign(X509v3CertificateBuilder builder) throws GeneralSecurityException {
    try {
      return new JcaX509CertificateConverter()
          .getCertificate(
              builder.build(
                  new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate())));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  /** 127 random bits: unpredictable, positive, and never zero in practice (RFC 5280 4.1.2.2). */
  private BigInteger serial() {
    return new BigInteger(127, random).setBit(0);
  }

  /** A new P-256 key pair as two PEM blocks, published together as one file. */
  private static byte[] newKeyPairPem() {
    KeyPair pair = newP256KeyPair();
    return (Pem.encode("PRIVATE KEY", pair.getPrivate().getEncoded())
            + Pem.encode("PUBLIC KEY", pair.getPublic().getEncoded()))
        .getBytes(StandardCharsets.US_ASCII);
  }

  static KeyPair newP256KeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM cannot make P-256 keys", e);
    }
  }

  private static KeyPair parseKeyPair(byte[] pem) throws IOException {
    try {
      KeyFactory ec = KeyFactory.getInstance("EC");
      PrivateKey privateKey =
          ec.generatePrivate(new PKCS8EncodedKeySpec(Pem.decode("PRIVATE KEY", pem)));
      PublicKey publicKey =
          ec.generatePublic(new X509EncodedKeySpec(Pem.decode("PUBLIC KEY", pem)));
      return new KeyPair(publicKey, privateKey);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IOException(KEY_FILE + " is damaged: " + e.getMessage(), e);
    }
  }

  static X509Certificate parseCertificate(byte[] der) {
    try {
      return (X509Certificate)
          CertificateFactory.getInstance("X.509")
              .generateCertificate(new ByteArrayInputStream(der));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not an X.509 certificate: " + e.getMessage(), e);
    }
  }
}
