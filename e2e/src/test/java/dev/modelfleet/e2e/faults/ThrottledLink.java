package dev.modelfleet.e2e.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A slow network between devices and the server's plain HTTP port: a TCP relay on a loopback port
 * of its own that passes each connection's response bytes at a fixed rate, so a download lasts long
 * enough for a test to break it. It reads the requests that pass (plain HTTP), and keeps the Range
 * headers devices resume with. When the server goes away the relay closes the device's side too, as
 * a dead server's connection would end.
 */
final class ThrottledLink implements AutoCloseable {

  private static final int CHUNK = 16 << 10;

  private final ServerSocket listener;
  private final long bytesPerSecond;
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  private final List<String> ranges = new CopyOnWriteArrayList<>();
  private final AtomicLong relayed = new AtomicLong();
  private final AtomicLong responsesBegun = new AtomicLong();
  private volatile int targetPort;
  private volatile boolean closed;

  private ThrottledLink(ServerSocket listener, long bytesPerSecond) {
    this.listener = listener;
    this.bytesPerSecond = bytesPerSecond;
  }

  /** Listens on a free loopback port; connections wait for {@link #forwardTo}. */
  static ThrottledLink open(long bytesPerSecondPerConnection) {
    try {
      ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      ThrottledLink link = new ThrottledLink(listener, bytesPerSecondPerConnection);
      Thread acceptor = new Thread(link::accept, "throttled-link-accept");
      acceptor.setDaemon(true);
      acceptor.start();
      return link;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  int port() {
    return listener.getLocalPort();
  }

  /** The loopback port the relay passes connections to. */
  void forwardTo(int port) {
    targetPort = port;
  }

  /** Every {@code Range} header value requested through the link, in order. */
  List<String> rangeRequests() {
    return List.copyOf(ranges);
  }

  /** Response bytes passed to devices so far. */
  long bytesRelayed() {
    return relayed.get();
  }

  /**
   * Responses whose first bytes have come back from the server: by then it has checked the request
   * (the device credential), and what is left is sending the file.
   */
  long responsesBegun() {
    return responsesBegun.get();
  }

  private void accept() {
    while (!closed) {
      try {
        Socket device = listener.accept();
        open.add(device);
        Thread relay = new Thread(() -> relay(device), "throttled-link-" + device.getPort());
        relay.setDaemon(true);
        relay.start();
      } catch (IOException e) {
        if (closed) {
          return;
        }
      }
    }
  }

  private void relay(Socket device) {
    try (device;
        Socket server = new Socket(InetAddress.getLoopbackAddress(), targetPort)) {
      open.add(server);
      // requests asked on this connection and not yet answered (one at a time: no pipelining)
      AtomicLong unanswered = new AtomicLong();
      Thread requests =
          new Thread(() -> passRequests(device, server, unanswered), "throttled-link-requests");
      requests.setDaemon(true);
      requests.start();
      passResponses(server.getInputStream(), device.getOutputStream(), unanswered);
    } catch (IOException e) {
      // the server is down or went away: the device's connection ends with it
    } finally {
      open.remove(device);
    }
  }

  private void passRequests(Socket device, Socket server, AtomicLong unanswered) {
    StringBuilder head = new StringBuilder();
    try (server) {
      InputStream in = device.getInputStream();
      OutputStream out = server.getOutputStream();
      byte[] buffer = new byte[CHUNK];
      for (int read; (read = in.read(buffer)) >= 0; ) {
        noteHeaders(head, new String(buffer, 0, read, StandardCharsets.ISO_8859_1), unanswered);
        out.write(buffer, 0, read);
        out.flush();
      }
    } catch (IOException e) {
      // either side closed
    } finally {
      open.remove(server);
      closeQuietly(device);
    }
  }

  /**
   * Reads header lines (requests here carry no body): counts each request and keeps each Range
   * value.
   */
  private void noteHeaders(StringBuilder head, String text, AtomicLong unanswered) {
    head.append(text);
    int end;
    while ((end = head.indexOf("\r\n")) >= 0) {
      String line = head.substring(0, end);
      head.delete(0, end + 2);
      if (line.startsWith("GET ")) {
        unanswered.incrementAndGet();
      } else if (line.toLowerCase(Locale.ROOT).startsWith("range:")) {
        ranges.add(line.substring("range:".length()).trim());
      }
    }
  }

  /**
   * Copies at the link's rate: each chunk waits until the bytes before it are due. An idle
   * connection earns no credit, so a kept-alive connection never bursts.
   */
  private void passResponses(InputStream from, OutputStream to, AtomicLong unanswered)
      throws IOException {
    byte[] buffer = new byte[CHUNK];
    long dueNanos = System.nanoTime();
    for (int read; (read = from.read(buffer)) >= 0; ) {
      if (unanswered.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        responsesBegun.incrementAndGet();
      }
      long now = System.nanoTime();
      if (dueNanos < now) {
        dueNanos = now;
      }
      long waitNanos = dueNanos - now;
      if (waitNanos > 0) {
        try {
          Thread.sleep(waitNanos / 1_000_000, (int) (waitNanos % 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
      }
      to.write(buffer, 0, read);
      to.flush();
      dueNanos += read * 1_000_000_000L / bytesPerSecond;
      relayed.addAndGet(read);
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  @Override
  public void close() {
    closed = true;
    closeQuietly(listener);
    open.forEach(ThrottledLink::closeQuietly);
  }

  private static void closeQuietly(ServerSocket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
