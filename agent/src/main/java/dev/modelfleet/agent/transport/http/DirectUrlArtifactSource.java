package dev.modelfleet.agent.transport.http;

import dev.modelfleet.agent.download.ArtifactFetchException;
import dev.modelfleet.agent.download.ArtifactFetchException.Kind;
import dev.modelfleet.agent.download.ArtifactSource;
import dev.modelfleet.protocol.agent.v1.ArtifactUrl;
import dev.modelfleet.protocol.agent.v1.ArtifactUrls;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * Downloads straight from object storage when the server sent a presigned address for the artifact
 * ({@code ArtifactUrls} on the Sync stream), through the server otherwise. No credential of the
 * device goes there: the address carries its own signature, and the bytes prove themselves by the
 * signed sha256 and size. An address that ran out, or that the storage refuses, is dropped and a
 * fresh one asked for on the Sync stream; the attempt after resumes (Range) from the bytes already
 * held, from the fresh address if it came, else through the server.
 */
public final class DirectUrlArtifactSource implements ArtifactSource {

  private static final Logger LOG = Logger.getLogger("modelfleet.download");

  /** An address this close to its end is not started on: asked for anew instead. */
  static final long EXPIRY_MARGIN_MS = 5_000;

  private final ArtifactSource throughServer;
  private final Consumer<List<String>> requestFresh;
  private final LongSupplier clock;

  /** Object storage and CDNs answer closed ranges, so a download budget is asked for exactly. */
  private final HttpArtifactSource anonymous =
      new HttpArtifactSource(URI.create("http://storage.invalid/"), null, "", null, true);

  private final Map<String, ArtifactUrl> urls = new ConcurrentHashMap<>();

  /**
   * @param requestFresh sends an ArtifactUrlRequest for these sha256s on the Sync stream
   * @param clock the device's clock in ms (the server's expiry is compared with a margin)
   */
  public DirectUrlArtifactSource(
      ArtifactSource throughServer, Consumer<List<String>> requestFresh, LongSupplier clock) {
    this.throughServer = throughServer;
    this.requestFresh = requestFresh;
    this.clock = clock;
  }

  /** Takes the addresses the server sent; anything but http(s) is ignored. */
  public void accept(ArtifactUrls received) {
    for (ArtifactUrl url : received.getUrlsList()) {
      try {
        String scheme = new URI(url.getUrl()).getScheme();
        if ("https".equals(scheme) || "http".equals(scheme)) {
          urls.put(url.getSha256(), url);
        }
      } catch (java.net.URISyntaxException e) {
        // unsigned, so never an exception that would end the stream: download through the server
        LOG.warning("the server sent an unusable download address for " + url.getSha256());
      }
    }
  }

  @Override
  public void fetch(String sha256, long offset, ChunkConsumer consumer)
      throws ArtifactFetchException, IOException {
    ArtifactUrl url = urls.get(sha256);
    if (url == null) {
      throughServer.fetch(sha256, offset, consumer);
      return;
    }
    if (clock.getAsLong() > url.getExpiresAtMs() - EXPIRY_MARGIN_MS) {
      refresh(sha256, url, "it expired");
      throughServer.fetch(sha256, offset, consumer);
      return;
    }
    try {
      anonymous.fetchFrom(URI.create(url.getUrl()), offset, consumer);
    } catch (ArtifactFetchException e) {
      if (e.kind() == Kind.OUT_OF_RANGE) {
        throw e;
      }
      // 403 (expired, or a clock apart), 404, a storage outage: a fresh address, then resume
      refresh(sha256, url, e.getMessage());
      throw new ArtifactFetchException(Kind.RETRYABLE, e.getMessage(), e);
    }
  }

  private void refresh(String sha256, ArtifactUrl stale, String why) {
    urls.remove(sha256, stale);
    LOG.info(
        "the download address of "
            + sha256
            + " cannot be used ("
            + why
            + "); asking the server for a fresh one");
    requestFresh.accept(List.of(sha256));
  }
}
