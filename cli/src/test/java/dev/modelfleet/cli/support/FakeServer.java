package dev.modelfleet.cli.support;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;

/**
 * A real HTTP server on a loopback port that answers as a test tells it to, and records every
 * request it got: what the command line sends, over a real socket.
 */
public final class FakeServer implements AutoCloseable {

  /** One request as the server read it. */
  public record Request(
      String method, String path, String query, Map<String, List<String>> headers, byte[] body) {

    public String header(String name) {
      for (Map.Entry<String, List<String>> e : headers.entrySet()) {
        if (e.getKey().equalsIgnoreCase(name)) {
          return e.getValue().get(0);
        }
      }
      return null;
    }

    public String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /** Answers one request. */
  @FunctionalInterface
  public interface Handler {
    void handle(HttpExchange exchange, Request request) throws IOException;
  }

  private final HttpServer server;
  private final Map<String, Handler> routes = new ConcurrentHashMap<>();
  private final Map<String, Boolean> streamed = new ConcurrentHashMap<>();
  private final List<Request> requests = new CopyOnWriteArrayList<>();

  private FakeServer(HttpServer server) {
    this.server = server;
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext("/", this::dispatch);
    server.start();
  }

  public static FakeServer http() {
    try {
      return new FakeServer(
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static FakeServer https(SSLContext context) {
    try {
      HttpsServer server =
          HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.setHttpsConfigurator(new HttpsConfigurator(context));
      return new FakeServer(server);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public URI uri() {
    String scheme = server instanceof HttpsServer ? "https" : "http";
    return URI.create(scheme + "://127.0.0.1:" + server.getAddress().getPort());
  }

  /** Answers {@code method path} (path without query) with {@code handler}. */
  public FakeServer on(String method, String path, Handler handler) {
    routes.put(method + " " + path, handler);
    return this;
  }

  /** Answers with a JSON body. */
  public FakeServer json(String method, String path, int status, String json) {
    return on(
        method, path, (exchange, request) -> send(exchange, status, "application/json", json));
  }

  /** Answers {@code method path} with a handler that reads the body itself (slowly, say). */
  public FakeServer onStreaming(String method, String path, Handler handler) {
    streamed.put(method + " " + path, true);
    return on(method, path, handler);
  }

  public List<Request> requests() {
    return new ArrayList<>(requests);
  }

  public List<Request> requests(String method, String path) {
    return requests.stream()
        .filter(r -> r.method().equals(method) && r.path().equals(path))
        .toList();
  }

  public static void send(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** A problem+json answer, as the server's error catalogue sends them. */
  public static void problem(HttpExchange exchange, int status, String code, String detail)
      throws IOException {
    send(
        exchange,
        status,
        "application/problem+json",
        "{\"type\":\"urn:modelfleet:problem:"
            + code
            + "\",\"title\":\"t\",\"status\":"
            + status
            + ",\"detail\":\""
            + detail
            + "\",\"code\":\""
            + code
            + "\"}");
  }

  private void dispatch(HttpExchange exchange) throws IOException {
    URI uri = exchange.getRequestURI();
    byte[] body;
    if (!streamed.containsKey(exchange.getRequestMethod() + " " + uri.getRawPath())) {
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readAllBytes();
      }
    } else {
      body = new byte[0];
    }
    Request request =
        new Request(
            exchange.getRequestMethod(),
            uri.getRawPath(),
            uri.getRawQuery(),
            Map.copyOf(exchange.getRequestHeaders()),
            body);
    requests.add(request);
    Handler handler = routes.get(exchange.getRequestMethod() + " " + uri.getRawPath());
    try {
      if (handler == null) {
        problem(exchange, 404, "not-found", "no route " + uri.getRawPath());
      } else {
        handler.handle(exchange, request);
      }
    } catch (IOException | RuntimeException e) {
      exchange.close();
      throw e;
    }
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }
}
