package dev.modelfleet.agent.transport.http;

import dev.modelfleet.agent.download.ArtifactFetchException;
import dev.modelfleet.agent.download.ArtifactFetchException.Kind;
import dev.modelfleet.agent.download.ArtifactSource;
import dev.modelfleet.protocol.ProtocolRevision;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import java.util.logging.Logger;
import javax.net.ssl.SSLSocketFactory;

/**
 * Uses the HTTP artifact path once the server has announced one, FetchArtifact otherwise. When HTTP
 * cannot be reached (a proxy that only passes gRPC, say) it falls back to gRPC until the server
 * announces an address again, so a device is never stuck on a path that fails.
 */
public final class PreferHttpArtifactSource implements ArtifactSource {

  private static final Logger LOG = Logger.getLogger("modelfleet.download");

  private final ArtifactSource grpc;
  private final Supplier<String> credential;
  private volatile HttpArtifactSource announced;

  /** TLS with the device certificate, for the server's HTTPS port; null without mutual TLS. */
  private final Supplier<SSLSocketFactory> deviceTls;

  /** The protocol revision the server named on the latest Sync stream. */
  private final IntSupplier serverProtocol;

  public PreferHttpArtifactSource(ArtifactSource grpc, Supplier<String> credential) {
    this(grpc, credential, null);
  }

  public PreferHttpArtifactSource(
      ArtifactSource grpc, Supplier<String> credential, Supplier<SSLSocketFactory> deviceTls) {
    this(grpc, credential, deviceTls, () -> ProtocolRevision.UNNAMED);
  }

  /**
   * @param serverProtocol the revision the server named when the Sync stream opened: from {@link
   *     ProtocolRevision#CLOSED_RANGES} on, a download under a budget asks for no more than it
   */
  public PreferHttpArtifactSource(
      ArtifactSource grpc,
      Supplier<String> credential,
      Supplier<SSLSocketFactory> deviceTls,
      IntSupplier serverProtocol) {
    this.grpc = grpc;
    this.credential = credential;
    this.deviceTls = deviceTls;
    this.serverProtocol = serverProtocol;
  }

  public void announce(String baseUrl, int httpPort, String serverHost) {
    announce(baseUrl, httpPort, 0, serverHost);
  }

  /**
   * Takes the server's announcement: its base URL, or else its HTTPS artifact port (mutual TLS,
   * taken only with the device's TLS) or its HTTP port on {@code serverHost} (the host the agent
   * reaches the server by); none means gRPC only. Only an address on {@code serverHost} gets the
   * device credential, and only the HTTPS port the device certificate (see {@link
   * HttpArtifactSource}).
   */
  public void announce(String baseUrl, int httpPort, int httpsPort, String serverHost) {
    boolean ownHttps = baseUrl.isEmpty() && httpsPort > 0 && deviceTls != null;
    String address =
        !baseUrl.isEmpty()
            ? baseUrl
            : ownHttps
                ? "https://" + serverHost + ":" + httpsPort + "/agent/v1/artifacts/"
                : httpPort > 0
                    ? "http://" + serverHost + ":" + httpPort + "/agent/v1/artifacts/"
                    : null;
    URI base = null;
    if (address != null) {
      // Unsigned, so anything but a usable http(s) address just means gRPC; never an
      // exception, which would end the Sync stream that carried it.
      try {
        URI uri = new URI(address);
        if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
            && uri.getHost() != null) {
          base = uri;
        }
      } catch (URISyntaxException e) {
        // refused below
      }
      if (base == null) {
        LOG.warning(
            "the server announced an unusable artifact address '"
                + address
                + "'; using FetchArtifact over gRPC");
      }
    }
    HttpArtifactSource previous = announced;
    announced =
        base == null
            ? null
            : new HttpArtifactSource(
                base,
                credential.get(),
                serverHost,
                ownHttps ? deviceTls : null,
                serverProtocol.getAsInt() >= ProtocolRevision.CLOSED_RANGES);
    if (base != null
        && !announced.sendsCredential()
        && (previous == null || !previous.base().equals(announced.base()))) {
      LOG.warning(
          "the server announced the artifact address "
              + base
              + ", not on the host the"
              + " agent reaches the server by ("
              + serverHost
              + "): downloads from it go without the"
              + " device credential, and if it refuses them, over gRPC (FetchArtifact)");
    }
  }

  @Override
  public void fetch(String sha256, long offset, ChunkConsumer consumer)
      throws ArtifactFetchException, IOException {
    HttpArtifactSource source = announced;
    if (source == null) {
      grpc.fetch(sha256, offset, consumer);
      return;
    }
    try {
      source.fetch(sha256, offset, consumer);
    } catch (ArtifactFetchException e) {
      if (e.kind() == Kind.RETRYABLE || e.kind() == Kind.FATAL) {
        LOG.warning(
            "HTTP artifact download from "
                + source.base()
                + " failed ("
                + e.getMessage()
                + "); using FetchArtifact over gRPC until the server announces HTTP again");
        announced = null;
        // Retryable whatever HTTP said: the downloader's next attempt asks gRPC, whose answer
        // is the one that counts.
        throw new ArtifactFetchException(Kind.RETRYABLE, e.getMessage(), e);
      }
      throw e;
    }
  }
}
