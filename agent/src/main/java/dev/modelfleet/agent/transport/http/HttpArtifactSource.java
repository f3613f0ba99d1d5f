package dev.modelfleet.agent.transport.http;

import com.google.protobuf.UnsafeByteOperations;
import dev.modelfleet.agent.download.ArtifactFetchException;
import dev.modelfleet.agent.download.ArtifactFetchException.Kind;
import dev.modelfleet.agent.download.ArtifactSource;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLSocketFactory;

/**
 * Artifacts over plain HTTP ({@code GET <base>/<sha256>}, {@code Range: bytes=<offset>-} to resume,
 * {@code bytes=<offset>-<last>} to stop at a download budget where the server takes closed ranges),
 * the fast path: the server answers with sendfile, and a CDN can answer instead of it later. The
 * bytes prove themselves by size and sha256, so the address needs no signature.
 *
 * <p>The device credential goes only to the host the agent was configured to reach its server by:
 * the address is announced unsigned and may name a CDN, which must not learn the credential (it
 * would let anyone holding it act as the device), so another host is asked without it. Redirects
 * are never followed: the server never redirects an artifact download, and following one would ask
 * a host nobody configured (HttpURLConnection of JDK 17 drops the credential on a redirect, but
 * that is a detail of its implementation, not a promise).
 *
 * <p>HttpURLConnection rather than java.net.http.HttpClient: it reads the socket on the calling
 * thread into our buffer, where HttpClient hands every 16 KB buffer across threads, which on a
 * two-core device cost it four fifths of its throughput (see docs/benchmarks.md).
 */
public final class HttpArtifactSource implements ArtifactSource {

  private static final int BUFFER = 1 << 20;
  private static final int CONNECT_TIMEOUT_MS = 10_000;

  /**
   * A stalled transfer is abandoned after this long without a byte, then resumed; sooner when the
   * downloader's rate floor asks for it.
   */
  private static final int READ_TIMEOUT_MS = 60_000;

  private final URI base;

  /** Null when {@code base} is on another host than the server's. */
  private final String credential;

  private final String serverHost;

  /** The device's TLS for the server's own HTTPS port; null for any other address. */
  private final Supplier<SSLSocketFactory> deviceTls;

  /**
   * Whether the server answers {@code Range: bytes=<from>-<to>}: object storage and CDNs do, this
   * project's server from protocol revision {@link
   * dev.modelfleet.protocol.ProtocolRevision#CLOSED_RANGES}; older ones refuse it.
   */
  private final boolean closedRanges;

  /**
   * @param serverHost the host of the server address the agent was configured with: the only one
   *     that gets {@code credential}
   */
  public HttpArtifactSource(URI base, String credential, String serverHost) {
    this(base, credential, serverHost, null, false);
  }

  /** An address that may not answer closed ranges (see {@link #closedRanges}). */
  public HttpArtifactSource(
      URI base, String credential, String serverHost, Supplier<SSLSocketFactory> deviceTls) {
    this(base, credential, serverHost, deviceTls, false);
  }

  /**
   * @param deviceTls for the server's HTTPS artifact port: presents the device certificate and
   *     trusts only the fleet CA; taken only for an https address on {@code serverHost}
   * @param closedRanges whether the address answers closed ranges (see {@link #closedRanges})
   */
  public HttpArtifactSource(
      URI base,
      String credential,
      String serverHost,
      Supplier<SSLSocketFactory> deviceTls,
      boolean closedRanges) {
    this.closedRanges = closedRanges;
    this.base = base.toString().endsWith("/") ? base : URI.create(base + "/");
    this.serverHost = serverHost;
    this.credential = isServerHost(this.base, serverHost) ? credential : null;
    this.deviceTls =
        isServerHost(this.base, serverHost) && "https".equals(this.base.getScheme())
            ? deviceTls
            : null;
  }

  /** Whether {@code uri} is on the server's host (a name compares case-insensitively). */
  private static boolean isServerHost(URI uri, String serverHost) {
    return uri.getHost() != null && uri.getHost().equalsIgnoreCase(serverHost);
  }

  /** Whether requests carry the device credential (the address is on the server's host). */
  public boolean sendsCredential() {
    return credential != null;
  }

  public URI base() {
    return base;
  }

  /**
   * Streams the body through one reused buffer, handed over whole; the consumer must not keep a
   * chunk. When the connection breaks, the bytes already received are still handed over, so the
   * next attempt resumes after them.
   */
  @Override
  public void fetch(String sha256, long offset, ChunkConsumer consumer)
      throws ArtifactFetchException, IOException {
    fetchFrom(base.resolve(sha256), offset, consumer);
  }

  /**
   * As {@link #fetch}, from exactly {@code uri} (a presigned address, whose query is its
   * signature), with the credential only if this source has one for its host.
   */
  void fetchFrom(URI uri, long offset, ChunkConsumer consumer)
      throws ArtifactFetchException, IOException {
    HttpURLConnection connection =
        open(
            uri,
            offset,
            closedRanges ? consumer.stopOffset() : Long.MAX_VALUE,
            (int) Math.min(READ_TIMEOUT_MS, consumer.stallTimeoutMillis()));
    try {
      long total = totalSize(connection, offset, uri);
      try (InputStream body = connection.getInputStream()) {
        copy(body, total, offset, uri, consumer);
      }
    } catch (IOException e) {
      connection.disconnect();
      throw e;
    }
  }

  /** {@code stop}: where the bytes asked for end ({@link Long#MAX_VALUE}: the artifact's end). */
  private HttpURLConnection open(URI uri, long offset, long stop, int readTimeoutMs)
      throws ArtifactFetchException {
    try {
      HttpURLConnection connection = (HttpURLConnection) uri.toURL().openConnection();
      connection.setInstanceFollowRedirects(false);
      if (deviceTls != null && connection instanceof HttpsURLConnection https) {
        https.setSSLSocketFactory(deviceTls.get());
      }
      connection.setConnectTimeout(CONNECT_TIMEOUT_MS);
      connection.setReadTimeout(readTimeoutMs);
      if (credential != null) {
        connection.setRequestProperty("Authorization", "Bearer " + credential);
      }
      connection.setRequestProperty("Accept-Encoding", "identity");
      if (stop != Long.MAX_VALUE && stop > offset) {
        connection.setRequestProperty("Range", "bytes=" + offset + "-" + (stop - 1));
      } else if (offset > 0) {
        connection.setRequestProperty("Range", "bytes=" + offset + "-");
      }
      connection.getResponseCode();
      return connection;
    } catch (IOException e) {
      throw new ArtifactFetchException(Kind.RETRYABLE, "GET " + uri + " failed: " + e, e);
    }
  }

  private long totalSize(HttpURLConnection connection, long offset, URI uri)
      throws IOException, ArtifactFetchException {
    int status = connection.getResponseCode();
    if (status == 200 && offset == 0) {
      return connection.getContentLengthLong();
    }
    if (status == 206) {
      // "bytes first-last/total": the server must resume exactly where we asked.
      String range = String.valueOf(connection.getHeaderField("Content-Range"));
      int dash = range.indexOf('-');
      int slash = range.indexOf('/');
      try {
        if (range.startsWith("bytes ")
            && dash > 0
            && slash > dash
            && Long.parseLong(range.substring(6, dash)) == offset) {
          return Long.parseLong(range.substring(slash + 1));
        }
      } catch (NumberFormatException e) {
        // refused below
      }
      connection.disconnect();
      throw new ArtifactFetchException(
          Kind.RETRYABLE,
          "GET " + uri + " answered Content-Range '" + range + "' for offset " + offset,
          null);
    }
    String location = connection.getHeaderField("Location");
    connection.disconnect();
    if (status >= 300 && status < 400) {
      throw new ArtifactFetchException(
          Kind.FATAL,
          "GET "
              + uri
              + " answered "
              + status
              + " (a redirect to "
              + location
              + "): redirects are not followed, so that the device"
              + " credential goes to the configured server only",
          null);
    }
    throw new ArtifactFetchException(
        kindOf(status, offset),
        "GET "
            + uri
            + " answered "
            + status
            + (credential != null
                ? ""
                : " (asked without the device credential: it goes only to"
                    + " the configured server's host, "
                    + serverHost
                    + ")"),
        null);
  }

  private static Kind kindOf(int status, long offset) {
    return switch (status) {
      case 404 -> Kind.NOT_FOUND;
      case 416 -> Kind.OUT_OF_RANGE;
      case 400, 401, 403 -> Kind.FATAL;
      // A 200 to a Range request: the server ignores ranges; start over from 0.
      case 200 -> offset > 0 ? Kind.OUT_OF_RANGE : Kind.RETRYABLE;
      default -> Kind.RETRYABLE;
    };
  }

  /**
   * Reads into one buffer while the consumer hashes and writes the other: on a device with two
   * cores, network and sha256 then overlap instead of taking turns. Buffers go to the consumer
   * whole and in order; when the connection breaks, the bytes already received are still handed
   * over, so the next attempt resumes after them.
   */
  private static void copy(
      InputStream body, long total, long offset, URI uri, ChunkConsumer consumer)
      throws ArtifactFetchException, IOException {
    try (HandOff handOff = new HandOff(consumer, total)) {
      byte[][] buffers = {new byte[BUFFER], new byte[BUFFER]};
      int current = 0;
      long position = offset;
      int filled = 0;
      long end = consumer.endOffset();
      while (true) {
        long room =
            end == Long.MAX_VALUE
                ? BUFFER - filled
                : Math.min(BUFFER - filled, end + 1 - (position + filled));
        if (room <= 0) {
          break; // one byte past the declared end is in: the consumer refuses the rest unread
        }
        int read;
        try {
          read = body.read(buffers[current], filled, (int) room);
        } catch (IOException e) {
          handOff.finish(position, buffers[current], filled);
          throw new ArtifactFetchException(
              Kind.RETRYABLE, "the download from " + uri + " broke off: " + e.getMessage(), e);
        }
        if (read < 0) {
          break;
        }
        filled += read;
        try {
          consumer.received(read);
        } catch (IOException e) {
          // Abandoned as too slow: keep what came (the next attempt resumes after it). No
          // abort from another thread here: HttpURLConnection.disconnect() waits for a read in
          // progress, so a trickle is stopped at its next read and a silent link by the read
          // timeout.
          handOff.finish(position, buffers[current], filled);
          throw e;
        }
        if (filled == BUFFER) {
          handOff.submit(position, buffers[current], filled);
          position += filled;
          filled = 0;
          current ^= 1;
        }
      }
      handOff.finish(position, buffers[current], filled);
    }
  }

  /** Runs the consumer on its own thread, one chunk at a time, in order. */
  private static final class HandOff implements AutoCloseable {
    private final ExecutorService worker =
        Executors.newSingleThreadExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "artifact-writer");
              thread.setDaemon(true);
              return thread;
            });
    private final ChunkConsumer consumer;
    private final long total;
    private Future<?> pending;

    HandOff(ChunkConsumer consumer, long total) {
      this.consumer = consumer;
      this.total = total;
    }

    /** Waits for the previous chunk (its buffer is then free) and hands this one over. */
    void submit(long position, byte[] buffer, int length) throws IOException {
      awaitPending();
      pending =
          worker.submit(
              () -> {
                consumer.accept(
                    position, UnsafeByteOperations.unsafeWrap(buffer, 0, length), total);
                return null;
              });
    }

    /** Hands over the last, partial chunk and waits until everything is written. */
    void finish(long position, byte[] buffer, int length) throws IOException {
      awaitPending();
      if (length > 0) {
        consumer.accept(position, UnsafeByteOperations.unsafeWrap(buffer, 0, length), total);
      }
    }

    private void awaitPending() throws IOException {
      if (pending == null) {
        return;
      }
      try {
        pending.get();
      } catch (ExecutionException e) {
        if (e.getCause() instanceof IOException io) {
          throw io;
        }
        throw new IOException("writing the artifact failed: " + e.getCause(), e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while writing the artifact");
      } finally {
        pending = null;
      }
    }

    @Override
    public void close() {
      worker.shutdownNow();
    }
  }
}
