package dev.modelfleet.server.access;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.RsaJsonWebKey;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;

/**
 * Stands in for an OpenID Connect provider: its discovery document and its JWKS served over real
 * HTTP on a loopback port, and tokens signed with its RSA keys. What it publishes lives in system
 * properties, JVM-wide, since Quarkus may load this resource and the test with different class
 * loaders.
 */
public class OidcProvider implements QuarkusTestResourceLifecycleManager {

  static final String AUDIENCE = "modelfleet";
  static final String CLI = "modelfleet-cli";
  private static final String REALM = "/realms/fleet";
  private static final String ISSUER = "oidc-test.issuer";
  private static final String PUBLISHED = "oidc-test.published";
  private static final String FETCHES = "oidc-test.jwks-fetches";
  private static final String KEY = "oidc-test.key.";

  private HttpServer server;

  @Override
  public Map<String, String> start() {
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    String issuer = "http://127.0.0.1:" + server.getAddress().getPort() + REALM;
    System.setProperty(ISSUER, issuer);
    if (published().isEmpty()) {
      publish(newKey());
    }
    String certs = REALM + "/protocol/openid-connect/certs";
    server.createContext(
        REALM + "/.well-known/openid-configuration",
        exchange ->
            answer(
                exchange,
                "{\"issuer\":\""
                    + issuer
                    + "\",\"jwks_uri\":\"http://127.0.0.1:"
                    + server.getAddress().getPort()
                    + certs
                    + "\"}"));
    server.createContext(
        certs,
        exchange -> {
          countFetch();
          answer(exchange, jwks());
        });
    server.start();
    return Map.of(
        "modelfleet.oidc.enabled",
        "true",
        "modelfleet.oidc.issuer",
        issuer,
        "modelfleet.oidc.audience",
        AUDIENCE,
        "modelfleet.oidc.client-ids",
        AUDIENCE + "," + CLI,
        "modelfleet.oidc.role-mappings",
        "fleet-ops=operator,fleet-admins=admin,fleet-readers=viewer",
        "modelfleet.oidc.jwks-min-refetch-interval",
        "1s");
  }

  @Override
  public void stop() {
    if (server != null) {
      server.stop(0);
    }
  }

  static String issuer() {
    return System.getProperty(ISSUER);
  }

  /** A new key pair of the provider, not yet published; returns its key id. */
  static String newKey() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      KeyPair pair = generator.generateKeyPair();
      String kid = "k-" + UUID.randomUUID().toString().substring(0, 8);
      System.setProperty(
          KEY + kid,
          Base64.getEncoder().encodeToString(pair.getPrivate().getEncoded())
              + "."
              + Base64.getEncoder().encodeToString(pair.getPublic().getEncoded()));
      return kid;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Adds the key to the JWKS the provider serves (as a provider does ahead of rotating to it). */
  static synchronized void publish(String kid) {
    List<String> kids = new ArrayList<>(published());
    kids.add(kid);
    System.setProperty(PUBLISHED, String.join(",", kids));
  }

  /** The first key published: the one tokens are signed with unless a test says otherwise. */
  static String signingKey() {
    return published().get(0);
  }

  static synchronized int fetches() {
    return Integer.parseInt(System.getProperty(FETCHES, "0"));
  }

  static String sign(JwtClaims claims, String kid) {
    try {
      JsonWebSignature jws = new JsonWebSignature();
      jws.setPayload(claims.toJson());
      jws.setKey(privateKey(kid));
      jws.setKeyIdHeaderValue(kid);
      jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.RSA_USING_SHA256);
      return jws.getCompactSerialization();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] publicKeyBytes(String kid) {
    return Base64.getDecoder().decode(System.getProperty(KEY + kid).split("\\.")[1]);
  }

  private static PrivateKey privateKey(String kid) throws Exception {
    return KeyFactory.getInstance("RSA")
        .generatePrivate(
            new PKCS8EncodedKeySpec(
                Base64.getDecoder().decode(System.getProperty(KEY + kid).split("\\.")[0])));
  }

  private static List<String> published() {
    String kids = System.getProperty(PUBLISHED, "");
    return kids.isEmpty() ? List.of() : Arrays.asList(kids.split(","));
  }

  private static synchronized void countFetch() {
    System.setProperty(FETCHES, Integer.toString(fetches() + 1));
  }

  private static String jwks() {
    try {
      List<JsonWebKey> keys = new ArrayList<>();
      for (String kid : published()) {
        RsaJsonWebKey key =
            new RsaJsonWebKey(
                (RSAPublicKey)
                    KeyFactory.getInstance("RSA")
                        .generatePublic(new X509EncodedKeySpec(publicKeyBytes(kid))));
        key.setKeyId(kid);
        key.setUse("sig");
        key.setAlgorithm(AlgorithmIdentifiers.RSA_USING_SHA256);
        keys.add(key);
      }
      return new JsonWebKeySet(keys).toJson();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void answer(HttpExchange exchange, String json) throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(200, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }
}
