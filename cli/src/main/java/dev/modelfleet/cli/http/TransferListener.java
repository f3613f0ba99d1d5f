package dev.modelfleet.cli.http;

/** Hears how an upload goes; called on the HTTP client's threads. */
public interface TransferListener {

  /** The body starts (again, should the client resend it); {@code total} bytes in all. */
  void started(long total);

  /** {@code bytes} handed to the connection so far. */
  void sent(long bytes);

  /** The whole body is out; the server now checks it before it answers. */
  void bodySent();
}
