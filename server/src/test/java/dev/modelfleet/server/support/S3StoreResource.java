package dev.modelfleet.server.support;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/** Starts S3Proxy for a test profile and points the server's artifact store at its bucket. */
public class S3StoreResource implements QuarkusTestResourceLifecycleManager {

  public static final String BUCKET = "modelfleet-artifacts";

  /** The running S3 server, for the test to look into the bucket or take it away. */
  public static volatile S3ProxyProcess s3;

  @Override
  public Map<String, String> start() {
    try {
      s3 = S3ProxyProcess.start(BUCKET);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return s3.storeSettings(BUCKET);
  }

  @Override
  public void stop() {
    if (s3 != null) {
      s3.close();
    }
  }
}
