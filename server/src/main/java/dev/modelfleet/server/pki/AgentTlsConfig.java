package dev.modelfleet.server.pki;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Transport security of the agent gRPC port; see docs/operations.md. */
@ConfigMapping(prefix = "modelfleet.agent-tls")
public interface AgentTlsConfig {

  enum Mode {
    /** TLS on the gRPC port, and every call but Enroll presents a device certificate. */
    MUTUAL,
    /** Plaintext gRPC (tests, or behind a proxy that terminates TLS). */
    OFF
  }

  @WithDefault("mutual")
  Mode mode();

  /**
   * DNS names and IP addresses agents reach this server by; they go into the server's TLS
   * certificate. Default: localhost, 127.0.0.1 and this machine's host name.
   */
  Optional<List<String>> serverNames();

  /** Lifetime of a device certificate; agents renew after two thirds of it by default. */
  @WithDefault("30d")
  Duration deviceCertificateLifetime();

  /** Lifetime of the server's TLS certificate, issued afresh at every start. */
  @WithDefault("365d")
  Duration serverCertificateLifetime();

  /**
   * Port of the HTTPS artifact path for devices (mutual TLS only): the fast download path, which
   * agents take instead of FetchArtifact. 0 picks a free port (tests); -1 turns it off.
   */
  @WithDefault("9443")
  int artifactPort();

  default boolean mutual() {
    return mode() == Mode.MUTUAL;
  }
}
