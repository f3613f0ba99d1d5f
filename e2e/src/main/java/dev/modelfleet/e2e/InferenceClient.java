package dev.modelfleet.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** An application on the device calling the agent's Open Inference Protocol v2 API. */
public final class InferenceClient {

  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();
  private final URI base;

  public InferenceClient(URI base) {
    this.base = base;
  }

  public JsonNode metadata(String model) {
    return parse(send(HttpRequest.newBuilder(uri("/v2/models/" + model)).GET()));
  }

  public HttpResponse<String> infer(String model, JsonNode request) {
    return send(HttpRequest.newBuilder(uri("/v2/models/" + model + "/infer"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(request.toString())));
  }

  /** Parsed infer response; fails with the agent's error message on a non-200 answer. */
  public JsonNode inferOk(String model, JsonNode request) {
    HttpResponse<String> response = infer(model, request);
    if (response.statusCode() != 200) {
      throw new IllegalStateException(
          "infer on " + model + " answered " + response.statusCode() + ": " + response.body());
    }
    return parse(response);
  }

  /**
   * A request with one tensor per declared input: dynamic dimensions become 1, values a small
   * ramp, so any model can be called without knowing what its inputs mean.
   */
  public static JsonNode requestFor(JsonNode metadata) {
    ObjectNode request = JSON.createObjectNode();
    ArrayNode inputs = request.putArray("inputs");
    for (JsonNode input : metadata.path("inputs")) {
      ObjectNode tensor = inputs.addObject();
      tensor.put("name", input.path("name").asText());
      tensor.put("datatype", input.path("datatype").asText());
      ArrayNode shape = tensor.putArray("shape");
      long count = 1;
      for (JsonNode dim : input.path("shape")) {
        long size = dim.asLong() < 0 ? 1 : dim.asLong();
        shape.add(size);
        count *= size;
      }
      ArrayNode data = tensor.putArray("data");
      boolean integral = input.path("datatype").asText().startsWith("INT");
      for (long i = 0; i < count; i++) {
        if (integral) {
          data.add(1);
        } else {
          data.add((i % 10) / 10.0);
        }
      }
    }
    return request;
  }

  private URI uri(String path) {
    return base.resolve(path);
  }

  private HttpResponse<String> send(HttpRequest.Builder request) {
    try {
      return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException("agent at " + base + " did not answer", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static JsonNode parse(HttpResponse<String> response) {
    try {
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new UncheckedIOException("not JSON: " + response.body(), e);
    }
  }
}
