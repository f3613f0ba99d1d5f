package dev.modelfleet.server.access;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.Key;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jboss.logging.Logger;
import org.jose4j.http.Get;
import org.jose4j.http.SimpleGet;
import org.jose4j.json.JsonUtil;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.VerificationJwkSelector;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwx.JsonWebStructure;
import org.jose4j.keys.resolvers.VerificationKeyResolver;
import org.jose4j.lang.JoseException;
import org.jose4j.lang.UnresolvableKeyException;

/**
 * The provider's signing keys, from its JWKS document: fetched on first use, again after the
 * refresh interval, and again when a token names a key the fetched set lacks (the provider rotated
 * its keys), so a rotation needs no restart. Every fetch, failed ones included, is at least the
 * minimum interval after the one before: no stream of tokens can make the server call the provider
 * at its rate. (jose4j's HttpsJwks spaces only successful fetches.) A failed fetch keeps the keys
 * fetched before. Where the document is comes from the configuration or from the issuer's discovery
 * document; either must be https, or http to this host.
 */
final class JwksKeys implements VerificationKeyResolver {

  private static final Logger LOG = Logger.getLogger(JwksKeys.class);
  private static final int TIMEOUT_MS = 5_000;

  /** A JWKS of a few dozen keys is far below this; a larger answer is not one. */
  private static final int MAX_CHARS = 256 * 1024;

  private final String issuer;
  private final long refreshNanos;
  private final long minRefetchNanos;
  private final SimpleGet http;
  private volatile String location;
  private volatile List<JsonWebKey> keys = List.of();
  private volatile long fetchedAt;
  private long attemptedAt; // guarded by this
  private boolean attempted; // guarded by this

  JwksKeys(String issuer, String jwksUrl, Duration refresh, Duration minRefetch) {
    this.issuer = issuer;
    this.location = jwksUrl == null ? null : checkedUrl(jwksUrl, "modelfleet.oidc.jwks-url");
    if (jwksUrl == null) {
      checkedUrl(discoveryUrl(issuer), "modelfleet.oidc.issuer");
    }
    this.refreshNanos = refresh.toNanos();
    this.minRefetchNanos = minRefetch.toNanos();
    Get get = new Get();
    get.setConnectTimeout(TIMEOUT_MS);
    get.setReadTimeout(TIMEOUT_MS);
    get.setResponseBodySizeLimit(MAX_CHARS);
    get.setRetries(0); // the next token tries again, after the minimum interval
    this.http = get;
  }

  @Override
  public Key resolveKey(JsonWebSignature jws, List<JsonWebStructure> nesting)
      throws UnresolvableKeyException {
    if (System.nanoTime() - fetchedAt > refreshNanos || keys.isEmpty()) {
      fetchUnlessRecent();
    }
    JsonWebKey key = select(jws);
    if (key == null && fetchUnlessRecent()) {
      key = select(jws);
    }
    if (key == null) {
      throw new UnresolvableKeyException(
          "no key of the provider's JWKS matches the token's key id '"
              + jws.getKeyIdHeaderValue()
              + "'");
    }
    return key.getKey();
  }

  private JsonWebKey select(JsonWebSignature jws) throws UnresolvableKeyException {
    try {
      return new VerificationJwkSelector().select(jws, keys);
    } catch (JoseException e) {
      throw new UnresolvableKeyException("cannot select a key for the token: " + e.getMessage(), e);
    }
  }

  /** Fetches the keys unless a fetch was tried within the minimum interval; true if it did. */
  private synchronized boolean fetchUnlessRecent() {
    long now = System.nanoTime();
    if (attempted && now - attemptedAt < minRefetchNanos) {
      return false;
    }
    attempted = true;
    attemptedAt = now;
    try {
      String url = location != null ? location : discover();
      List<JsonWebKey> fetched = new JsonWebKeySet(http.get(url).getBody()).getJsonWebKeys();
      keys = List.copyOf(fetched);
      fetchedAt = System.nanoTime();
      LOG.debugf("fetched %d OpenID Connect signing keys from %s", fetched.size(), url);
      return true;
    } catch (IOException | JoseException | RuntimeException e) {
      LOG.warnf(
          "cannot fetch the OpenID Connect provider's keys (%s); keeping the %d fetched"
              + " before, trying again with a later token",
          e.getMessage(), keys.size());
      return false;
    }
  }

  /** The jwks_uri of the issuer's discovery document, which must name the same issuer. */
  private String discover() throws IOException, JoseException {
    Map<String, Object> document = JsonUtil.parseJson(http.get(discoveryUrl(issuer)).getBody());
    if (!issuer.equals(document.get("issuer"))) {
      throw new IOException(
          "the discovery document names issuer '"
              + document.get("issuer")
              + "', not '"
              + issuer
              + "'");
    }
    if (!(document.get("jwks_uri") instanceof String jwksUri)) {
      throw new IOException("the discovery document names no jwks_uri");
    }
    location = checkedUrl(jwksUri, "the discovery document's jwks_uri");
    return location;
  }

  private static String discoveryUrl(String issuer) {
    String base = issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer;
    return base + "/.well-known/openid-configuration";
  }

  /**
   * Keys fetched over plain http could be swapped by anyone on the path, who could then sign in as
   * anybody: https only, except to this host (a provider beside the server, and tests).
   */
  static String checkedUrl(String url, String what) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(what + ": '" + url + "' is not a URL");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
    boolean local = host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]");
    if (scheme.equals("https") || (scheme.equals("http") && local)) {
      return url;
    }
    throw new IllegalArgumentException(
        what
            + ": '"
            + url
            + "' must be an https URL (http only to"
            + " localhost): the provider's keys decide who can sign in");
  }
}
