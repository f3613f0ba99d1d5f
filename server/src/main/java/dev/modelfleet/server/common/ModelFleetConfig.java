package dev.modelfleet.server.common;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The server's own settings; see application.properties for the environment variable names. The
 * admin token has a mapping of its own ({@code access.AdminTokenConfig}).
 */
@ConfigMapping(prefix = "modelfleet")
public interface ModelFleetConfig {

  Path keyDir();

  Path artifactDir();

  @WithDefault("15s")
  Duration heartbeatInterval();

  /** How long a device may act on a desired-state document after it was issued. */
  @WithDefault("7d")
  Duration desiredStateTtl();

  @WithDefault("365d")
  Duration rootMetadataTtl();

  /**
   * How long a signed variant manifest (targets metadata) is valid. The server re-signs it one
   * targets version up once half of this is gone, and re-issues the desired states using it.
   */
  @WithDefault("365d")
  Duration manifestTtl();

  /**
   * Where agents download artifacts over HTTP (GET {base}/{sha256}), e.g. a CDN or the URL of this
   * server's /agent/v1/artifacts as devices reach it. When absent, agents use this server's HTTP
   * port on the host they reach it by.
   */
  java.util.Optional<String> artifactBaseUrl();
}
