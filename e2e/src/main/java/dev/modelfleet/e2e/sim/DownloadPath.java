package dev.modelfleet.e2e.sim;

import java.util.Locale;

/** How simulated devices fetch artifacts. */
public enum DownloadPath {
  /** FetchArtifact over the gRPC channel, whatever the server announces. */
  GRPC,
  /** GET over HTTP only; a server that announces no HTTP address fails the download. */
  HTTP,
  /**
   * GET over the server's HTTPS artifact port with the device certificate only (mutual TLS, {@code
   * --server-ca}), as the agent does under mutual TLS; a server that announces no HTTPS port fails
   * the download.
   */
  HTTPS,
  /** As the real agent does: HTTP when the server announces it, gRPC otherwise or on failure. */
  AUTO;

  static DownloadPath parse(String value) {
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "--download-path takes grpc, http, https or auto, not '" + value + "'");
    }
  }
}
