package dev.modelfleet.agent.inference;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.sun.net.httpserver.HttpExchange;
import dev.modelfleet.agent.inference.InferRequestParser.InferRequest;
import dev.modelfleet.agent.metrics.AgentMetrics;
import dev.modelfleet.agent.metrics.Metrics;
import dev.modelfleet.agent.runtime.InferenceException;
import dev.modelfleet.agent.runtime.ModelRegistry;
import dev.modelfleet.agent.runtime.ServedModel;
import dev.modelfleet.agent.runtime.Tensor;
import dev.modelfleet.agent.runtime.TensorSpec;
import dev.modelfleet.agent.runtime.VersionStats;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.List;
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

  /**
   * A request and its answer that take longer than this from the request's first byte lose their
   * connection (a client that sends half a body, or never reads its answer); seconds, generous for
   * a device, since the time includes the inference.
   */
  static final int STALLED_CLIENT_SECONDS = 300;

  /** Open connections at most; local clients keep a few open, more are answered 503. */
  static final int MAX_CONNECTIONS = 64;

  /** The header that marks a body as a JSON header followed by binary tensors, and its length. */
  static final String BINARY_HEADER = "Inference-Header-Content-Length";

  private final ModelRegistry registry;
  private final LocalInference inference;
  private final ApiToken token;
  private final String agentVersion;
  private final JsonFactory json = InferRequestParser.newFactory();
  private volatile BundleImports bundleImports;
  private final InferRequestParser parser = new InferRequestParser(json);
  private final LocalHttpServer server;
  private final LocalRequestGuard guard;
  private volatile AgentMetrics metrics;
  private volatile java.util.function.Supplier<byte[]> status;

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
    this(
        new LocalInference(registry, ready, expected),
        InetAddress.getLoopbackAddress(),
        ApiToken.NONE,
        port,
        threads,
        agentVersion);
  }

  /**
   * @param bind the address to listen on: loopback unless containers beside the agent need it
   * @param token asked of every request but the health checks when set (see {@link ApiToken})
   */
  public InferenceServer(
      LocalInference inference,
      InetAddress bind,
      ApiToken token,
      int port,
      int threads,
      String agentVersion)
      throws IOException {
    this.inference = inference;
    this.registry = inference.registry();
    this.token = token;
    this.agentVersion = agentVersion;
    this.guard = new LocalRequestGuard(bind, token.required());
    this.server =
        new LocalHttpServer(
            bind, port, threads, MAX_CONNECTIONS, STALLED_CLIENT_SECONDS, this::handle);
  }

  /** Counts inference into {@code metrics} and serves them at {@code GET /metrics}. */
  public InferenceServer withMetrics(AgentMetrics metrics) {
    this.metrics = metrics;
    inference.countInto(metrics);
    return this;
  }

  /**
   * Serves {@code status} (a JSON document) at {@code GET /agent/status}, for {@code
   * modelfleet-agent status}.
   */
  public InferenceServer withStatus(java.util.function.Supplier<byte[]> status) {
    this.status = status;
    return this;
  }

  /**
   * Imports an offline bundle at {@code POST /agent/import-bundle} (body: the file's path, UTF-8),
   * for {@code modelfleet-agent import-bundle}: the answer is {@code imports}' JSON document. On
   * the local API only, behind its guard and api-token, as the status document.
   */
  public InferenceServer withBundleImport(BundleImports imports) {
    this.bundleImports = imports;
    return this;
  }

  /** Imports the bundle at a path; returns the outcome as JSON. */
  @FunctionalInterface
  public interface BundleImports {
    byte[] importFrom(String path) throws InterruptedException;
  }

  public InferenceServer start() {
    server.start();
    return this;
  }

  public int port() {
    return server.port();
  }

  /** Requests refused since start as coming from a web page (wrong Host, Origin or type). */
  public long refusedRequests() {
    return guard.refused();
  }

  @Override
  public void close() {
    server.close();
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
        String unauthorized =
            path.startsWith("/v2/health/")
                ? null
                : token.refusal(exchange.getRequestHeaders().getFirst("Authorization"));
        if (unauthorized != null) {
          exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
          error(exchange, 401, unauthorized);
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
      boolean isReady = inference.ready();
      status(exchange, isReady ? 200 : 503, "ready", isReady);
    } else if (path.equals("/metrics") && metrics != null) {
      byte[] body = metrics.scrape().getBytes(java.nio.charset.StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", Metrics.CONTENT_TYPE);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    } else if (path.equals("/agent/import-bundle") && bundleImports != null) {
      if (!method.equals("POST")) {
        error(exchange, 405, "use POST for " + path);
        return;
      }
      String file =
          new String(
                  exchange.getRequestBody().readNBytes(4096),
                  java.nio.charset.StandardCharsets.UTF_8)
              .strip();
      byte[] body;
      try {
        body = bundleImports.importFrom(file);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        error(exchange, 503, "the agent is shutting down");
        return;
      }
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    } else if (path.equals("/agent/status") && status != null) {
      byte[] body = status.get();
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    } else if (path.equals("/v2") || path.equals("/v2/")) {
      serverMetadata(exchange);
    } else if (path.equals("/v2/models/stats")) {
      ModelStatistics.send(exchange, json, registry.totals(null));
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
      } else if (action.equals("stats")) {
        List<VersionStats.Totals> totals = registry.totals(name);
        if (totals.isEmpty()) {
          error(exchange, 404, "unknown model '" + name + "': it has no statistics here");
        } else {
          ModelStatistics.send(exchange, json, totals);
        }
      } else if (action.equals("ready")) {
        ServedModel model = registry.peek(name);
        status(
            exchange,
            model != null ? 200 : inference.expected(name) ? 503 : 404,
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
              + " server: /v2/health/ready, /v2/models/{name}, /v2/models/{name}/infer,"
              + " /v2/models/{name}/stats)");
    }
  }

  private void infer(HttpExchange exchange, String name) throws IOException, BadRequestException {
    long start = System.nanoTime();
    ServedModel model;
    try {
      model = inference.acquire(name);
    } catch (LocalInference.ModelNotServedException e) {
      error(exchange, e.later() ? 503 : 404, e.getMessage());
      return;
    }
    List<Tensor> outputs;
    InferRequest request;
    long decoded;
    long ran;
    try (InputStream body = exchange.getRequestBody()) {
      request = read(exchange, body);
      decoded = System.nanoTime();
      outputs = inference.run(model, request.inputs(), request.outputs());
      ran = System.nanoTime();
    } catch (InferenceException e) {
      error(exchange, e.clientError() ? 400 : 500, e.getMessage());
      return;
    } finally {
      model.release();
    }
    ByteArrayOutputStream buffer = new ByteArrayOutputStream(256);
    int binaryBytes = 0;
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
        if (request.binary(t.name())) {
          int size = RawTensors.byteSize(t);
          binaryBytes += size;
          g.writeObjectFieldStart("parameters");
          g.writeNumberField("binary_data_size", size);
          g.writeEndObject();
        } else {
          g.writeFieldName("data");
          TensorData.write(g, t.data(), t.datatype());
        }
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    }
    if (binaryBytes == 0) {
      send(exchange, 200, buffer);
    } else {
      sendBinary(exchange, buffer, outputs, request, binaryBytes);
    }
    long end = System.nanoTime();
    model.countServed(decoded - start, end - ran, end - start);
  }

  /**
   * The request: all JSON, or with {@value #BINARY_HEADER} a JSON header of that many bytes and the
   * binary tensors after it (Triton's binary tensor data extension).
   */
  private InferRequest read(HttpExchange exchange, InputStream body)
      throws IOException, BadRequestException {
    String declared = exchange.getRequestHeaders().getFirst(BINARY_HEADER);
    if (declared == null) {
      return parser.parse(body);
    }
    long headerLength;
    try {
      headerLength = Long.parseLong(declared.trim());
    } catch (NumberFormatException e) {
      throw new BadRequestException(
          BINARY_HEADER + " must be the JSON header's length in bytes, got '" + declared + "'");
    }
    int limit = LocalInference.maxBinaryBytes();
    byte[] all = body.readNBytes(limit + 1);
    if (all.length > limit) {
      throw new BadRequestException(
          "the request body is larger than this agent takes (" + limit + " bytes)");
    }
    if (headerLength < 0 || headerLength > all.length) {
      throw new BadRequestException(
          BINARY_HEADER
              + " is "
              + headerLength
              + " but the body has only "
              + all.length
              + " bytes: it must be the length of the JSON header at the start of the body");
    }
    int split = (int) headerLength;
    return parser.parse(
        new java.io.ByteArrayInputStream(all, 0, split),
        ByteBuffer.wrap(all, split, all.length - split).slice());
  }

  private static void sendBinary(
      HttpExchange exchange,
      ByteArrayOutputStream header,
      List<Tensor> outputs,
      InferRequest request,
      int binaryBytes)
      throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
    exchange.getResponseHeaders().set(BINARY_HEADER, String.valueOf(header.size()));
    // One write for the whole body: without Nagle each flush is a TCP segment, and a client
    // reading the header, then each tensor, would wake once per segment.
    ByteBuffer body =
        ByteBuffer.allocate(header.size() + binaryBytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    body.put(header.toByteArray());
    for (Tensor t : outputs) {
      if (request.binary(t.name())) {
        RawTensors.encode(t, body);
      }
    }
    exchange.sendResponseHeaders(200, body.capacity());
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body.array());
    }
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
      g.writeString("binary_tensor_data");
      g.writeString("statistics");
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
