package dev.modelfleet.agent.inference;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.modelfleet.agent.inference.InferRequestParser.InferRequest;
import dev.modelfleet.agent.metrics.AgentMetrics;
import dev.modelfleet.agent.metrics.Metrics;
import dev.modelfleet.agent.runtime.InferenceException;
import dev.modelfleet.agent.runtime.ModelRegistry;
import dev.modelfleet.agent.runtime.ServedModel;
import dev.modelfleet.agent.runtime.ShadowModel;
import dev.modelfleet.agent.runtime.Tensor;
import dev.modelfleet.agent.runtime.TensorSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The local inference API: Open Inference Protocol v2 REST (as KServe and Triton speak it) on
 * 127.0.0.1 only, so existing clients work unchanged and nothing is exposed off the device;
 * requests that only a web page in a browser would send are refused ({@link LocalRequestGuard}).
 */
public final class InferenceServer implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger("modelfleet.inference");
  private static final String PLATFORM = "onnxruntime_onnx";

  /** A request or response that takes longer than this loses its connection. */
  static final int STALLED_CLIENT_SECONDS = 300;

  static {
    // Headers and body go out in two writes; with Nagle on, the body waits for the client's
    // delayed ACK (~40 ms per request). Read once by the JDK server, so set before first use.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
    // Without these the JDK server waits forever: a client that sends half a body (or never
    // reads its answer) holds a worker thread for good, and a few of them stop inference and
    // health checks alike. The request time runs until the answer starts, so it also bounds
    // one inference; seconds, generous for a device.
    for (String limit :
        new String[] {"sun.net.httpserver.maxReqTime", "sun.net.httpserver.maxRspTime"}) {
      if (System.getProperty(limit) == null) {
        System.setProperty(limit, String.valueOf(STALLED_CLIENT_SECONDS));
      }
    }
  }

  private final ModelRegistry registry;
  private final BooleanSupplier ready;
  private final Predicate<String> expected;
  private final String agentVersion;
  private final JsonFactory json = InferRequestParser.newFactory();
  private final InferRequestParser parser = new InferRequestParser(json);
  private final HttpServer server;
  private final ExecutorService executor;
  private final LocalRequestGuard guard;
  private volatile AgentMetrics metrics;

  public InferenceServer(
      ModelRegistry registry, BooleanSupplier ready, int port, int threads, String agentVersion)
      throws IOException {
    this(registry, ready, name -> false, port, threads, agentVersion);
  }

  /**
   * @param ready whether every model the agent should serve is in service (server readiness)
   * @param expected whether the agent should be serving a model of this name (it was activated but
   *     is not loaded now): such a model answers 503, an unknown one 404
   */
  public InferenceServer(
      ModelRegistry registry,
      BooleanSupplier ready,
      Predicate<String> expected,
      int port,
      int threads,
      String agentVersion)
      throws IOException {
    this.registry = registry;
    this.ready = ready;
    this.expected = expected;
    this.agentVersion = agentVersion;
    InetAddress loopback = InetAddress.getLoopbackAddress();
    this.guard = new LocalRequestGuard(loopback);
    this.server = HttpServer.create(new InetSocketAddress(loopback, port), 128);
    AtomicInteger count = new AtomicInteger();
    this.executor =
        new ThreadPoolExecutor(
            threads,
            threads,
            60,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              Thread t = new Thread(r, "inference-http-" + count.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
  }

  /** Counts inference into {@code metrics} and serves them at {@code GET /metrics}. */
  public InferenceServer withMetrics(AgentMetrics metrics) {
    this.metrics = metrics;
    return this;
  }

  public InferenceServer start() {
    server.start();
    return this;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** Requests refused since start as coming from a web page (wrong Host, Origin or type). */
  public long refusedRequests() {
    return guard.refused();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getRawPath();
      String method = exchange.getRequestMethod();
      try {
        LocalRequestGuard.Refusal refusal = guard.check(method, exchange.getRequestHeaders());
        if (refusal != null) {
          error(exchange, refusal.status(), refusal.message());
          return;
        }
        route(exchange, method, path);
      } catch (BadRequestException e) {
        error(exchange, 400, e.getMessage());
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "inference API error on " + path, e);
        error(exchange, 500, "internal error: " + e);
      }
    }
  }

  private void route(HttpExchange exchange, String method, String path)
      throws IOException, BadRequestException {
    if (path.equals("/v2/health/live")) {
      status(exchange, 200, "live", true);
    } else if (path.equals("/v2/health/ready")) {
      boolean isReady = ready.getAsBoolean();
      status(exchange, isReady ? 200 : 503, "ready", isReady);
    } else if (path.equals("/metrics") && metrics != null) {
      byte[] body = metrics.scrape().getBytes(java.nio.charset.StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", Metrics.CONTENT_TYPE);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    } else if (path.equals("/v2") || path.equals("/v2/")) {
      serverMetadata(exchange);
    } else if (path.startsWith("/v2/models/")) {
      String[] parts = path.substring("/v2/models/".length()).split("/");
      String name;
      try {
        name = java.net.URLDecoder.decode(parts[0], java.nio.charset.StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new BadRequestException(
            "the model name in " + path + " is not valid" + " percent-encoding: " + e.getMessage());
      }
      int next = 1;
      if (parts.length >= 3 && parts[1].equals("versions")) {
        next = 3; // A version in the path is accepted; the device serves one version per name.
      }
      String action = parts.length > next ? parts[next] : "";
      if (parts.length > next + 1) {
        error(exchange, 404, "no such endpoint: " + path);
      } else if (action.equals("infer")) {
        if (!method.equals("POST")) {
          error(exchange, 405, "use POST for " + path);
        } else {
          infer(exchange, name);
        }
      } else if (action.equals("ready")) {
        ServedModel model = registry.peek(name);
        status(
            exchange,
            model != null ? 200 : expected.test(name) ? 503 : 404,
            "ready",
            model != null);
      } else if (action.isEmpty()) {
        modelMetadata(exchange, name);
      } else {
        error(exchange, 404, "no such endpoint: " + path);
      }
    } else {
      error(
          exchange,
          404,
          "no such endpoint: "
              + path
              + " (this is an Open Inference Protocol v2"
              + " server: /v2/health/ready, /v2/models/{name}, /v2/models/{name}/infer)");
    }
  }

  private void infer(HttpExchange exchange, String name) throws IOException, BadRequestException {
    ServedModel model = registry.acquire(name);
    if (model == null && expected.test(name)) {
      error(
          exchange,
          503,
          "model '"
              + name
              + "' is not loaded at the moment (it failed to"
              + " restore or is being replaced); see the agent log, retry later");
      return;
    }
    if (model == null) {
      error(
          exchange,
          404,
          "unknown model '"
              + name
              + "'; models served here: "
              + registry.all().stream().map(ServedModel::name).sorted().toList());
      return;
    }
    List<Tensor> outputs;
    InferRequest request;
    try (InputStream body = exchange.getRequestBody()) {
      request = parser.parse(body);
      // Counted and timed by the served model: only the model run, not parsing or HTTP.
      long start = System.nanoTime();
      outputs = model.infer(request.inputs(), request.outputs());
      long nanos = System.nanoTime() - start;
      if (metrics != null) {
        metrics.inferenceRan(model.name(), model.version(), nanos);
      }
      ShadowModel shadow = registry.shadowOf(name);
      if (shadow != null) {
        // Off the request path: a draw, and for a sample a non-blocking offer to its queue.
        shadow.offer(model.version(), request.inputs(), request.outputs(), outputs, nanos);
      }
    } catch (InferenceException e) {
      if (metrics != null && !e.clientError()) {
        metrics.inferenceFailed(model.name(), model.version());
      }
      error(exchange, e.clientError() ? 400 : 500, e.getMessage());
      return;
    } catch (RuntimeException e) {
      if (metrics != null) {
        metrics.inferenceFailed(model.name(), model.version());
      }
      throw e;
    } finally {
      model.release();
    }
    ByteArrayOutputStream buffer = new ByteArrayOutputStream(256);
    try (JsonGenerator g = json.createGenerator(buffer, JsonEncoding.UTF8)) {
      g.writeStartObject();
      g.writeStringField("model_name", model.name());
      g.writeStringField("model_version", model.version());
      if (request.id() != null) {
        g.writeStringField("id", request.id());
      }
      g.writeArrayFieldStart("outputs");
      for (Tensor t : outputs) {
        g.writeStartObject();
        g.writeStringField("name", t.name());
        g.writeStringField("datatype", t.datatype());
        g.writeFieldName("shape");
        g.writeArray(t.shape(), 0, t.shape().length);
        g.writeFieldName("data");
        TensorData.write(g, t.data(), t.datatype());
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    }
    send(exchange, 200, buffer);
  }

  private void modelMetadata(HttpExchange exchange, String name) throws IOException {
    ServedModel model = registry.peek(name);
    if (model == null) {
      error(exchange, 404, "unknown model '" + name + "'");
      return;
    }
    ByteArrayOutputStream buffer = new ByteArrayOutputStream(256);
    try (JsonGenerator g = json.createGenerator(buffer, JsonEncoding.UTF8)) {
      g.writeStartObject();
      g.writeStringField("name", model.name());
      g.writeArrayFieldStart("versions");
      g.writeString(model.version());
      g.writeEndArray();
      g.writeStringField("platform", PLATFORM);
      g.writeStringField("sha256", model.sha256());
      specs(g, "inputs", model.model().inputs());
      specs(g, "outputs", model.model().outputs());
      g.writeEndObject();
    }
    send(exchange, 200, buffer);
  }

  private static void specs(JsonGenerator g, String field, List<TensorSpec> specs)
      throws IOException {
    g.writeArrayFieldStart(field);
    for (TensorSpec spec : specs) {
      g.writeStartObject();
      g.writeStringField("name", spec.name());
      g.writeStringField("datatype", spec.datatype());
      g.writeFieldName("shape");
      g.writeArray(spec.shape(), 0, spec.shape().length);
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  private void serverMetadata(HttpExchange exchange) throws IOException {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream(128);
    try (JsonGenerator g = json.createGenerator(buffer, JsonEncoding.UTF8)) {
      g.writeStartObject();
      g.writeStringField("name", "modelfleet-agent");
      g.writeStringField("version", agentVersion);
      g.writeArrayFieldStart("extensions");
      g.writeEndArray();
      g.writeEndObject();
    }
    send(exchange, 200, buffer);
  }

  private void status(HttpExchange exchange, int code, String field, boolean value)
      throws IOException {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream(32);
    try (JsonGenerator g = json.createGenerator(buffer, JsonEncoding.UTF8)) {
      g.writeStartObject();
      g.writeBooleanField(field, value);
      g.writeEndObject();
    }
    send(exchange, code, buffer);
  }

  private void error(HttpExchange exchange, int code, String message) throws IOException {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream(128);
    try (JsonGenerator g = json.createGenerator(buffer, JsonEncoding.UTF8)) {
      g.writeStartObject();
      g.writeStringField("error", message);
      g.writeEndObject();
    }
    send(exchange, code, buffer);
  }

  private static void send(HttpExchange exchange, int code, ByteArrayOutputStream body)
      throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(code, body.size());
    try (OutputStream out = exchange.getResponseBody()) {
      body.writeTo(out);
    }
  }
}
