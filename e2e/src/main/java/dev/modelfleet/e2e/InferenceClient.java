package dev.modelfleet.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelfleet.agent.runtime.SmokeInputs;
import dev.modelfleet.agent.runtime.Tensor;
import dev.modelfleet.agent.runtime.TensorSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

/** An application on the device calling the agent's Open Inference Protocol v2 API. */
public final class InferenceClient {

  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();
  private final URI base;

  public InferenceClient(URI base) {
    this.base = base;
  }

  /** The server's metadata (GET /v2): its name and version. */
  public JsonNode serverMetadata() {
    return parse(send(HttpRequest.newBuilder(uri("/v2")).GET()));
  }

  public JsonNode metadata(String model) {
    return parse(send(HttpRequest.newBuilder(uri("/v2/models/" + model)).GET()));
  }

  public HttpResponse<String> infer(String model, JsonNode request) {
    return send(
        HttpRequest.newBuilder(uri("/v2/models/" + model + "/infer"))
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
   * Calls the model with inputs built from its own declared signature, by the agent's own
   * smoke-test rules (the sizes it tries for a dynamic last dimension, in order), so any model can
   * be called without knowing what its inputs mean. Returns the first answer it accepts.
   */
  public JsonNode inferWithSyntheticInputs(String model) {
    List<TensorSpec> specs = new ArrayList<>();
    for (JsonNode input : metadata(model).path("inputs")) {
      long[] shape = new long[input.path("shape").size()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = input.path("shape").get(i).asLong();
      }
      specs.add(
          new TensorSpec(input.path("name").asText(), input.path("datatype").asText(), shape));
    }
    IllegalStateException last = null;
    for (int size : SmokeInputs.DYNAMIC_SIZES) {
      try {
        return inferOk(model, request(SmokeInputs.forModel(specs, size)));
      } catch (IllegalStateException e) {
        last = e;
      }
    }
    throw last;
  }

  private static JsonNode request(List<Tensor> tensors) {
    ObjectNode request = JSON.createObjectNode();
    ArrayNode inputs = request.putArray("inputs");
    for (Tensor tensor : tensors) {
      ObjectNode input = inputs.addObject();
      input.put("name", tensor.name()).put("datatype", tensor.datatype());
      ArrayNode shape = input.putArray("shape");
      for (long dim : tensor.shape()) {
        shape.add(dim);
      }
      input.set("data", JSON.valueToTree(tensor.data()));
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
