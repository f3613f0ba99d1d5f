package dev.modelfleet.agent.inference;

import com.sun.net.httpserver.HttpHandler;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * HTTP/1.1 for the local inference API: a thread per connection that reads a request, runs the
 * handler and writes the answer itself.
 *
 * <p>Why not the JDK's {@code HttpServer}, which the handler code is written against: its one
 * dispatcher thread reads every connection and hands each request to a worker, then takes the
 * connection back; the two hand-offs measured 0.08–0.15 ms of the 0.25–0.35 ms this API added to
 * {@code OrtSession.run} for Silero VAD (docs/benchmarks.md). Local clients are few and keep their
 * connections open, so a blocked thread per connection costs little and wakes once per request. The
 * handler still gets a {@code com.sun.net.httpserver.HttpExchange} ({@link LocalHttpExchange}).
 *
 * <p>Limits, since anything on the device (or a container beside it) may connect: request line and
 * headers are bounded ({@link LocalHttpExchange}); at most {@code maxConnections} connections at
 * once (more are answered 503 and closed); at most {@code concurrency} requests handled at once
 * (the inference threads); an idle connection is closed after {@link #IDLE_SECONDS}; and a request
 * or answer that takes longer than the stall limit from its first byte loses its connection, so a
 * client that sends half a body or never reads its answer cannot hold a thread for good.
 */
final class LocalHttpServer implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger("modelfleet.inference");

  /** An open connection with no request for this long is closed, as the JDK server did. */
  static final int IDLE_SECONDS = 30;

  private final ServerSocket listener;
  private final HttpHandler handler;
  private final Semaphore handling;
  private final Semaphore connectionSlots;
  private final long stallNanos;
  private final ThreadPoolExecutor connections;
  private final Set<Connection> open = ConcurrentHashMap.newKeySet();
  private final Thread acceptor;
  private final Thread watchdog;
  private volatile boolean closed;

  LocalHttpServer(
      InetAddress bind,
      int port,
      int concurrency,
      int maxConnections,
      int stallSeconds,
      HttpHandler handler)
      throws IOException {
    this.listener = new ServerSocket();
    listener.setReuseAddress(true);
    listener.bind(new InetSocketAddress(bind, port), 128);
    this.handler = handler;
    this.handling = new Semaphore(Math.max(1, concurrency));
    this.connectionSlots = new Semaphore(maxConnections);
    this.stallNanos = TimeUnit.SECONDS.toNanos(stallSeconds);
    AtomicInteger count = new AtomicInteger();
    this.connections =
        new ThreadPoolExecutor(
            0,
            Integer.MAX_VALUE, // bounded by connectionSlots
            IDLE_SECONDS,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            r -> daemon(r, "inference-http-" + count.incrementAndGet()));
    this.acceptor = daemon(this::accept, "inference-http-accept");
    this.watchdog = daemon(this::watch, "inference-http-watchdog");
  }

  LocalHttpServer start() {
    acceptor.start();
    watchdog.start();
    return this;
  }

  int port() {
    return listener.getLocalPort();
  }

  @Override
  public void close() {
    closed = true;
    try {
      listener.close();
    } catch (IOException e) {
      LOG.log(Level.FINE, "closing the local API's socket", e);
    }
    open.forEach(Connection::abort);
    connections.shutdownNow();
    acceptor.interrupt();
    watchdog.interrupt();
  }

  private void accept() {
    while (!closed) {
      Socket socket;
      try {
        socket = listener.accept();
      } catch (IOException e) {
        if (!closed) {
          LOG.log(Level.WARNING, "the local API could not accept a connection", e);
        }
        continue;
      }
      if (!connectionSlots.tryAcquire()) {
        refuse(socket);
        continue;
      }
      try {
        connections.execute(new Connection(socket));
      } catch (RejectedExecutionException e) {
        connectionSlots.release();
        refuse(socket); // closing
      }
    }
  }

  /** Too many connections: says so, as the answer to whatever the client sends first. */
  private static void refuse(Socket socket) {
    try (socket) {
      socket.setSoTimeout(1_000);
      byte[] body =
          "{\"error\":\"the agent's local API has too many open connections; close idle ones\"}"
              .getBytes(StandardCharsets.UTF_8);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                  + "Connection: close\r\nContent-Length: "
                  + body.length
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.write(body);
      out.flush();
    } catch (IOException e) {
      LOG.log(Level.FINE, "refusing a connection", e);
    }
  }

  /** Closes connections whose request or answer has stalled past the limit. */
  private void watch() {
    long tick = Math.max(50, Math.min(1_000, TimeUnit.NANOSECONDS.toMillis(stallNanos) / 4));
    while (!closed) {
      try {
        Thread.sleep(tick);
      } catch (InterruptedException e) {
        return;
      }
      long now = System.nanoTime();
      for (Connection c : open) {
        long since = c.busySince;
        if (since != 0 && now - since > stallNanos) {
          LOG.fine("closing a local API connection whose request stalled");
          c.abort();
        }
      }
    }
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /** One client connection: requests one after another until either side closes it. */
  private final class Connection implements Runnable {
    private final Socket socket;

    /** System.nanoTime() of the current request's first byte; 0 while idle. */
    volatile long busySince;

    Connection(Socket socket) {
      this.socket = socket;
    }

    void abort() {
      try {
        socket.close();
      } catch (IOException e) {
        LOG.log(Level.FINE, "closing a local API connection", e);
      }
    }

    @Override
    public void run() {
      open.add(this);
      try {
        serve();
      } catch (SocketException e) {
        LOG.log(Level.FINE, "a local API connection ended", e);
      } catch (IOException e) {
        LOG.log(Level.FINE, "a local API connection failed", e);
      } finally {
        // the slot is free before the client sees the connection close
        open.remove(this);
        connectionSlots.release();
        abort();
      }
    }

    private void serve() throws IOException {
      socket.setTcpNoDelay(true);
      socket.setSoTimeout((int) TimeUnit.SECONDS.toMillis(IDLE_SECONDS));
      BufferedInputStream in = new BufferedInputStream(socket.getInputStream(), 16 << 10);
      BufferedOutputStream out = new BufferedOutputStream(socket.getOutputStream(), 16 << 10);
      InetSocketAddress local = (InetSocketAddress) socket.getLocalSocketAddress();
      InetSocketAddress remote = (InetSocketAddress) socket.getRemoteSocketAddress();
      while (!closed) {
        in.mark(1);
        if (in.read() < 0) {
          return; // the client closed between requests
        }
        in.reset();
        busySince = System.nanoTime();
        LocalHttpExchange exchange = LocalHttpExchange.read(in, out, local, remote);
        if (exchange == null) {
          return; // malformed: answered, and the connection closes
        }
        handle(exchange);
        if (!exchange.finish()) {
          return;
        }
        busySince = 0;
      }
    }

    private void handle(LocalHttpExchange exchange) throws IOException {
      try {
        handling.acquire();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SocketException("the local API is closing");
      }
      try {
        handler.handle(exchange);
      } catch (LocalHttpExchange.Malformed e) {
        exchange.failed(e); // the client's framing, not the handler: a 4xx that says what
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "the local API's handler failed", e);
        exchange.failed();
      } finally {
        handling.release();
      }
    }
  }
}
