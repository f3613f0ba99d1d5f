package dev.modelfleet.agent.inference;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One request of {@link LocalHttpServer} and its answer, as the JDK's {@code HttpExchange}, so the
 * handlers read and write it exactly as they did on the JDK server: {@code sendResponseHeaders}
 * with a length (fixed), 0 (chunked) or -1 (no body), then the body stream.
 *
 * <p>What a request may be: a request line of at most {@value #MAX_LINE} bytes, headers of at most
 * {@value #MAX_HEADER_BYTES} bytes in all, a body framed by Content-Length or chunked transfer
 * coding (never both: the ambiguity request smuggling lives on), HTTP/1.1 or 1.0. Anything else is
 * answered with a 4xx or 5xx and the connection closed.
 */
final class LocalHttpExchange extends HttpExchange {

  static final int MAX_LINE = 8 << 10;
  static final int MAX_HEADER_BYTES = 64 << 10;

  /** A body left unread this long or shorter is read away to keep the connection. */
  private static final int DRAIN_LIMIT = 64 << 10;

  private static final byte[] CONTINUE =
      "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  private final String method;
  private final URI uri;
  private final String protocol;
  private final Headers requestHeaders;
  private final Headers responseHeaders = new Headers();
  private final OutputStream socketOut;
  private final InetSocketAddress local;
  private final InetSocketAddress remote;
  private final Map<String, Object> attributes = new HashMap<>(2);
  private final RequestBody body;
  private InputStream requestStream;
  private ResponseBody responseBody;
  private OutputStream responseStream;
  private int responseCode = -1;
  private boolean keepAlive;

  private LocalHttpExchange(
      String method,
      URI uri,
      String protocol,
      Headers requestHeaders,
      RequestBody body,
      boolean keepAlive,
      OutputStream socketOut,
      InetSocketAddress local,
      InetSocketAddress remote) {
    this.method = method;
    this.uri = uri;
    this.protocol = protocol;
    this.requestHeaders = requestHeaders;
    this.body = body;
    this.requestStream = body;
    this.keepAlive = keepAlive;
    this.socketOut = socketOut;
    this.local = local;
    this.remote = remote;
  }

  /**
   * Reads a request's line and headers; null when it was malformed, in which case the client has
   * been answered and the connection is to be closed.
   */
  static LocalHttpExchange read(
      InputStream in, OutputStream out, InetSocketAddress local, InetSocketAddress remote)
      throws IOException {
    int[] budget = {MAX_HEADER_BYTES};
    String line;
    try {
      line = line(in, MAX_LINE, budget);
    } catch (Malformed e) {
      refuse(out, e.status, e.getMessage());
      return null;
    }
    if (line == null) {
      return null;
    }
    String[] parts = line.split(" ", -1);
    if (parts.length != 3 || parts[0].isEmpty() || !isToken(parts[0])) {
      refuse(out, 400, "malformed request line");
      return null;
    }
    String protocol = parts[2];
    if (!protocol.equals("HTTP/1.1") && !protocol.equals("HTTP/1.0")) {
      refuse(out, 505, "only HTTP/1.1 and HTTP/1.0 are served here");
      return null;
    }
    URI uri;
    try {
      uri = new URI(parts[1]);
    } catch (URISyntaxException e) {
      refuse(out, 400, "malformed request target: " + e.getReason());
      return null;
    }
    Headers headers = new Headers();
    try {
      while (true) {
        String h = line(in, MAX_LINE, budget);
        if (h == null) {
          return null; // closed in the middle of the headers
        }
        if (h.isEmpty()) {
          break;
        }
        int colon = h.indexOf(':');
        // a name with spaces, or a folded line starting with one, is refused (RFC 9112 5.1, 5.2)
        if (colon <= 0 || !isToken(h.substring(0, colon))) {
          throw new Malformed(400, "malformed header line");
        }
        headers.add(h.substring(0, colon), h.substring(colon + 1).strip());
      }
    } catch (Malformed e) {
      refuse(out, e.status, e.getMessage());
      return null;
    }
    RequestBody body;
    try {
      body = RequestBody.of(in, headers);
    } catch (Malformed e) {
      refuse(out, e.status, e.getMessage());
      return null;
    }
    String connection = String.join(",", headers.getOrDefault("Connection", List.of()));
    connection = connection.toLowerCase(Locale.ROOT);
    boolean keepAlive =
        protocol.equals("HTTP/1.1")
            ? !connection.contains("close")
            : connection.contains("keep-alive");
    String expect = headers.getFirst("Expect");
    if (expect != null && expect.equalsIgnoreCase("100-continue") && protocol.equals("HTTP/1.1")) {
      out.write(CONTINUE);
      out.flush();
    }
    return new LocalHttpExchange(
        parts[0], uri, protocol, headers, body, keepAlive, out, local, remote);
  }

  @Override
  public Headers getRequestHeaders() {
    return requestHeaders;
  }

  @Override
  public Headers getResponseHeaders() {
    return responseHeaders;
  }

  @Override
  public URI getRequestURI() {
    return uri;
  }

  @Override
  public String getRequestMethod() {
    return method;
  }

  /** There are no contexts: one handler serves every path. */
  @Override
  public HttpContext getHttpContext() {
    return null;
  }

  @Override
  public void close() {
    try {
      requestStream.close();
      if (responseStream != null) {
        responseStream.close();
      }
    } catch (IOException e) {
      keepAlive = false;
    }
  }

  @Override
  public InputStream getRequestBody() {
    return requestStream;
  }

  @Override
  public OutputStream getResponseBody() {
    if (responseStream == null) {
      throw new IllegalStateException("sendResponseHeaders comes first");
    }
    return responseStream;
  }

  @Override
  public void sendResponseHeaders(int code, long length) throws IOException {
    if (responseCode >= 0) {
      throw new IOException("the response headers were sent already");
    }
    responseCode = code;
    boolean noBody = length < 0 || method.equals("HEAD") || code == 204 || code == 304;
    boolean chunked = !noBody && length == 0 && protocol.equals("HTTP/1.1");
    if (!noBody && length == 0 && !chunked) {
      keepAlive = false; // HTTP/1.0 and no length: the body ends with the connection
    }
    StringBuilder head = new StringBuilder(160);
    head.append("HTTP/1.1 ").append(code).append(' ').append(reason(code)).append("\r\n");
    head.append("Date: ").append(HttpDate.now()).append("\r\n");
    for (Map.Entry<String, List<String>> h : responseHeaders.entrySet()) {
      String name = h.getKey();
      if (name.equalsIgnoreCase("Content-Length") || name.equalsIgnoreCase("Transfer-Encoding")) {
        continue; // framing is this class's to set
      }
      for (String value : h.getValue()) {
        head.append(name).append(": ").append(value).append("\r\n");
      }
    }
    if (chunked) {
      head.append("Transfer-Encoding: chunked\r\n");
    } else if (length > 0) {
      head.append("Content-Length: ").append(length).append("\r\n");
    } else if (length < 0 && code != 204 && code != 304) {
      head.append("Content-Length: 0\r\n");
    }
    if (!keepAlive) {
      head.append("Connection: close\r\n");
    }
    head.append("\r\n");
    socketOut.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    responseBody =
        noBody
            ? new ResponseBody.Fixed(socketOut, 0)
            : chunked
                ? new ResponseBody.Chunked(socketOut)
                : length > 0
                    ? new ResponseBody.Fixed(socketOut, length)
                    : new ResponseBody.Open(socketOut);
    responseStream = responseBody;
  }

  @Override
  public InetSocketAddress getRemoteAddress() {
    return remote;
  }

  @Override
  public int getResponseCode() {
    return responseCode;
  }

  @Override
  public InetSocketAddress getLocalAddress() {
    return local;
  }

  @Override
  public String getProtocol() {
    return protocol;
  }

  @Override
  public Object getAttribute(String name) {
    return attributes.get(name);
  }

  @Override
  public void setAttribute(String name, Object value) {
    attributes.put(name, value);
  }

  @Override
  public void setStreams(InputStream in, OutputStream out) {
    if (in != null) {
      requestStream = in;
    }
    if (out != null) {
      responseStream = out;
    }
  }

  @Override
  public HttpPrincipal getPrincipal() {
    return null;
  }

  /** The handler threw: answers 500 if nothing was sent yet; the connection closes either way. */
  void failed() {
    failed(500, "internal error");
  }

  /**
   * The request's body broke its framing (a bad chunk) while the handler read it: answers with the
   * status that says so if nothing was sent yet; the connection closes either way.
   */
  void failed(Malformed e) {
    failed(e.status, e.getMessage());
  }

  private void failed(int status, String message) {
    keepAlive = false;
    if (responseCode < 0) {
      try {
        byte[] text = errorBody(message);
        responseHeaders.set("Content-Type", "application/json");
        sendResponseHeaders(status, text.length);
        responseStream.write(text);
      } catch (IOException ignored) {
        // the connection closes anyway
      }
    }
  }

  /**
   * Completes the exchange after the handler: the answer ended and flushed, the request's body read
   * to its end. Returns whether the connection may carry another request.
   */
  boolean finish() throws IOException {
    if (responseCode < 0) {
      failed(); // a handler that answered nothing
    }
    if (responseBody != null && !responseBody.finish()) {
      keepAlive = false; // fewer bytes than announced: the framing is lost
    }
    if (keepAlive && !body.drain(DRAIN_LIMIT)) {
      keepAlive = false;
    }
    socketOut.flush();
    return keepAlive;
  }

  private static boolean isToken(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c <= ' ' || c >= 127 || "()<>@,;:\\\"/[]?={}".indexOf(c) >= 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * A line up to LF (a preceding CR dropped), as ISO-8859-1; null at the end of the stream.
   *
   * @param budget what is left of the headers' bytes, decreased as read
   */
  static String line(InputStream in, int max, int[] budget) throws IOException {
    StringBuilder line = new StringBuilder(64);
    while (true) {
      int c = in.read();
      if (c < 0) {
        return null;
      }
      if (--budget[0] < 0) {
        throw new Malformed(431, "request headers larger than " + MAX_HEADER_BYTES + " bytes");
      }
      if (c == '\n') {
        int end = line.length();
        if (end > 0 && line.charAt(end - 1) == '\r') {
          line.setLength(end - 1);
        }
        return line.toString();
      }
      if (line.length() >= max) {
        throw new Malformed(431, "a request line or header longer than " + max + " bytes");
      }
      line.append((char) c);
    }
  }

  /** {"error": message}; the messages are this class's own text, so quotes are all to avoid. */
  private static byte[] errorBody(String message) {
    return ("{\"error\":\"" + message.replace("\"", "'") + "\"}").getBytes(StandardCharsets.UTF_8);
  }

  private static void refuse(OutputStream out, int status, String message) throws IOException {
    byte[] text = errorBody(message);
    out.write(
        ("HTTP/1.1 "
                + status
                + " "
                + reason(status)
                + "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: "
                + text.length
                + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    out.write(text);
    out.flush();
  }

  private static String reason(int code) {
    return switch (code) {
      case 200 -> "OK";
      case 204 -> "No Content";
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 411 -> "Length Required";
      case 413 -> "Content Too Large";
      case 415 -> "Unsupported Media Type";
      case 421 -> "Misdirected Request";
      case 431 -> "Request Header Fields Too Large";
      case 500 -> "Internal Server Error";
      case 501 -> "Not Implemented";
      case 503 -> "Service Unavailable";
      case 505 -> "HTTP Version Not Supported";
      default -> "Status";
    };
  }

  /** A request that cannot be read as HTTP: answered with {@code status}, then closed. */
  static final class Malformed extends IOException {
    final int status;

    Malformed(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  /** The Date header's value, formatted at most once a second. */
  private static final class HttpDate {
    private static volatile long second = -1;
    private static volatile String text = "";

    static String now() {
      long s = System.currentTimeMillis() / 1000;
      if (s != second) {
        text =
            DateTimeFormatter.RFC_1123_DATE_TIME.format(
                ZonedDateTime.ofInstant(java.time.Instant.ofEpochSecond(s), ZoneOffset.UTC));
        second = s;
      }
      return text;
    }
  }
}
