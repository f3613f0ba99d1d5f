package dev.modelfleet.agent.inference;

import com.sun.net.httpserver.Headers;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * Keeps web pages out of the inference API. Listening on 127.0.0.1 stops other machines, but not a
 * browser on the device: a page can POST to http://127.0.0.1:8700 as a "simple request" (text/plain
 * or a form, no preflight), or rebind its own DNS name to 127.0.0.1 and then read the answers as
 * same-origin. Browsers always name the page in {@code Host} (rebinding) or {@code Origin} (any
 * cross-origin POST), and can send a body without a preflight only as text/plain or a form; local
 * programs send none of these. So: a Host that is not a loopback name is a 421, a foreign Origin a
 * 403, a body declared as anything but JSON a 415.
 */
final class LocalRequestGuard {

  private static final Logger LOG = Logger.getLogger("modelfleet.inference");
  private static final Set<String> LOOPBACK_NAMES = Set.of("localhost", "127.0.0.1", "[::1]");

  /** At most one log line per this interval; the refusals in between are counted in it. */
  private static final long LOG_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

  record Refusal(int status, String message) {}

  private final Set<String> names = new HashSet<>(LOOPBACK_NAMES);
  // With a bearer token a rebinding page is harmless (it has no token), and clients in other
  // containers name the device as they please: any Host goes. Origin and type still apply.
  private final boolean anyHost;
  private final AtomicLong refused = new AtomicLong();
  private boolean logged;
  private long lastLogNanos;
  private long unlogged;

  /**
   * @param bound the address the API listens on: its literal is a valid Host too
   */
  LocalRequestGuard(InetAddress bound) {
    this(bound, false);
  }

  /**
   * @param anyHost take any Host (the API asks for a bearer token)
   */
  LocalRequestGuard(InetAddress bound, boolean anyHost) {
    this.anyHost = anyHost;
    String literal = bound.getHostAddress();
    names.add(bound instanceof Inet6Address ? "[" + literal + "]" : literal);
  }

  /** Null when the request may go on; else the answer to give, counted and logged. */
  Refusal check(String method, Headers headers) {
    Refusal refusal = evaluate(method, headers);
    if (refusal != null) {
      refused.incrementAndGet();
      log(refusal);
    }
    return refusal;
  }

  long refused() {
    return refused.get();
  }

  private Refusal evaluate(String method, Headers headers) {
    List<String> hosts = headers.get("Host");
    String host = hosts == null || hosts.size() != 1 ? null : hosts.get(0).trim();
    if (host == null || !(anyHost || isLoopback(host))) {
      return new Refusal(
          421,
          (host == null ? "no single Host header" : "Host " + quoted(host))
              + " is not this device: the inference API answers only requests addressed to"
              + " localhost, 127.0.0.1 or [::1] (a web page that rebinds its own name to 127.0.0.1"
              + " sends that name)");
    }
    List<String> origins = headers.get("Origin");
    if (origins != null
        && (origins.size() != 1 || !origins.get(0).trim().equalsIgnoreCase("http://" + host))) {
      return new Refusal(
          403,
          "cross-origin request refused (Origin "
              + quoted(origins)
              + "): the"
              + " inference API takes no requests from web pages; call it from a local program");
    }
    if (!method.equals("GET") && !method.equals("HEAD")) {
      // No Content-Type is taken (the Triton Python client sends none): a browser sends a body
      // without one only from a script (fetch, XMLHttpRequest), and scripts' POSTs always carry
      // an Origin, refused above.
      List<String> types = headers.get("Content-Type");
      if (types != null && (types.size() != 1 || !isAccepted(types.get(0)))) {
        return new Refusal(
            415,
            "Content-Type "
                + quoted(types)
                + " refused: send the request body as Content-Type: application/json (or"
                + " application/octet-stream with the binary tensor extension)");
      }
    }
    return null;
  }

  /** {@code name} or {@code name:port}, where name is a loopback name or the bound address. */
  private boolean isLoopback(String host) {
    int colon = host.lastIndexOf(':');
    String name = host;
    if (colon > host.lastIndexOf(']')) {
      String port = host.substring(colon + 1);
      if (!port.matches("\\d{1,5}")) {
        return false;
      }
      name = host.substring(0, colon);
    }
    return names.contains(name.toLowerCase(Locale.ROOT));
  }

  /** Echoes what the client sent, cut short: it is logged, and anyone can send anything. */
  private static String quoted(List<String> values) {
    return values.size() == 1 ? quoted(values.get(0)) : values.size() + " values";
  }

  private static String quoted(String value) {
    return "'" + (value.length() > 100 ? value.substring(0, 100) + "..." : value) + "'";
  }

  /**
   * JSON, or octet-stream for the binary tensor extension: a page can send neither without a CORS
   * preflight, which this API never answers.
   */
  private static boolean isAccepted(String contentType) {
    int semicolon = contentType.indexOf(';');
    String essence = semicolon < 0 ? contentType : contentType.substring(0, semicolon);
    return essence.trim().equalsIgnoreCase("application/json")
        || essence.trim().equalsIgnoreCase("application/octet-stream");
  }

  /** The first refusal at once, then at most one line a minute with the count in between. */
  private void log(Refusal refusal) {
    long now = System.nanoTime();
    long skipped;
    synchronized (this) {
      if (logged && now - lastLogNanos < LOG_INTERVAL_NANOS) {
        unlogged++;
        return;
      }
      skipped = unlogged;
      unlogged = 0;
      logged = true;
      lastLogNanos = now;
    }
    LOG.warning(
        "inference API refused a request ("
            + refusal.status()
            + "): "
            + refusal.message()
            + (skipped > 0 ? "; " + skipped + " more refused since the last" + " such line" : "")
            + "; "
            + refused.get()
            + " refused since start");
  }
}
