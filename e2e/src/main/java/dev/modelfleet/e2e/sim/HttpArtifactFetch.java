package dev.modelfleet.e2e.sim;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLSocketFactory;

/**
 * One artifact over the server's HTTP path ({@code GET <base>/<sha256>} with the device credential
 * as bearer token), read on the calling download thread. HttpURLConnection rather than
 * java.net.http.HttpClient for the reason the agent gives: it reads the socket straight into our
 * buffer on this thread, where HttpClient hands every buffer across threads, which measured four to
 * five times slower here.
 */
final class HttpArtifactFetch {

  private static final int CONNECT_TIMEOUT_MS = 10_000;

  /** A stalled transfer fails after this long without a byte. */
  private static final int READ_TIMEOUT_MS = 60_000;

  private static final int BUFFER = 256 << 10;

  /** One buffer per download thread, reused download after download. */
  private static final ThreadLocal<byte[]> BUFFERS =
      ThreadLocal.withInitial(() -> new byte[BUFFER]);

  private HttpArtifactFetch() {}

  /**
   * @throws IOException when the server refused, the transfer broke or writing failed
   */
  static void fetch(
      URI base, String credential, String sha256, ArtifactBytes into, SSLSocketFactory deviceTls)
      throws IOException {
    URI uri = URI.create(base.toString().endsWith("/") ? base + sha256 : base + "/" + sha256);
    get(uri, credential, into, deviceTls);
  }

  /**
   * One artifact from the address in object storage the server gave (a presigned URL): no
   * credential goes there, the URL is the permission.
   */
  static void fetchDirect(URI url, ArtifactBytes into) throws IOException {
    get(url, null, into, null);
  }

  /**
   * @param deviceTls for the server's own HTTPS artifact port: presents the device certificate and
   *     trusts only the fleet CA (null: the JDK's defaults)
   */
  private static void get(
      URI uri, String credential, ArtifactBytes into, SSLSocketFactory deviceTls)
      throws IOException {
    HttpURLConnection connection = (HttpURLConnection) uri.toURL().openConnection();
    if (deviceTls != null && connection instanceof HttpsURLConnection https) {
      https.setSSLSocketFactory(deviceTls);
    }
    connection.setConnectTimeout(CONNECT_TIMEOUT_MS);
    connection.setReadTimeout(READ_TIMEOUT_MS);
    if (credential != null) {
      connection.setRequestProperty("Authorization", "Bearer " + credential);
    }
    connection.setRequestProperty("Accept-Encoding", "identity");
    try {
      int status = connection.getResponseCode();
      if (status != 200) {
        // the query of a presigned URL is its signature: not for logs
        throw new IOException(
            "GET "
                + uri.getScheme()
                + "://"
                + uri.getAuthority()
                + uri.getPath()
                + " answered "
                + status);
      }
      byte[] buffer = BUFFERS.get();
      try (InputStream body = connection.getInputStream()) {
        for (int read; (read = body.read(buffer)) >= 0; ) {
          into.add(buffer, read);
        }
      }
    } catch (IOException e) {
      // Only a connection read to its end goes back to the keep-alive pool; drop this one.
      connection.disconnect();
      throw e;
    }
  }
}
