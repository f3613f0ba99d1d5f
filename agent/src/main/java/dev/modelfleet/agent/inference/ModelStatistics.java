package dev.modelfleet.agent.inference;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.sun.net.httpserver.HttpExchange;
import dev.modelfleet.agent.runtime.VersionStats;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/**
 * {@code GET /v2/models/{name}/stats} and {@code /v2/models/stats} as Triton's statistics extension
 * answers them: per model version, cumulative counts and durations in nanoseconds since the agent
 * started. There is no "queue" entry: a request runs on the thread that read it.
 */
final class ModelStatistics {

  private ModelStatistics() {}

  static void send(HttpExchange exchange, JsonFactory json, List<VersionStats.Totals> versions)
      throws IOException {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream(256);
    try (JsonGenerator g = json.createGenerator(buffer, JsonEncoding.UTF8)) {
      g.writeStartObject();
      g.writeArrayFieldStart("model_stats");
      for (VersionStats.Totals t : versions) {
        long executed = t.executions() - t.fail();
        g.writeStartObject();
        g.writeStringField("name", t.model());
        g.writeStringField("version", t.version());
        g.writeNumberField("last_inference", t.lastInferenceMillis());
        // One inference per request: the agent does not batch requests together.
        g.writeNumberField("inference_count", t.success());
        g.writeNumberField("execution_count", executed);
        g.writeObjectFieldStart("inference_stats");
        duration(g, "success", t.success(), t.successNanos());
        duration(g, "fail", t.fail(), t.failNanos());
        duration(g, "compute_input", t.success(), t.computeInputNanos());
        duration(g, "compute_infer", executed, t.computeInferNanos());
        duration(g, "compute_output", t.success(), t.computeOutputNanos());
        g.writeEndObject();
        g.writeArrayFieldStart("batch_stats");
        g.writeEndArray();
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    }
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(200, buffer.size());
    try (OutputStream out = exchange.getResponseBody()) {
      buffer.writeTo(out);
    }
  }

  private static void duration(JsonGenerator g, String field, long count, long nanos)
      throws IOException {
    g.writeObjectFieldStart(field);
    g.writeNumberField("count", count);
    g.writeNumberField("ns", nanos);
    g.writeEndObject();
  }
}
