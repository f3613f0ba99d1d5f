package dev.modelfleet.agent.inference;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import dev.modelfleet.agent.runtime.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Parses an Open Inference Protocol v2 infer request with Jackson's streaming parser straight into
 * primitive arrays: no tree, no boxing. "data" may be flat or nested (both are allowed by the
 * protocol); it is flattened in row-major order.
 */
final class InferRequestParser {

  /**
   * @param binaryOutputs outputs asked for as binary data (their "binary_data" parameter)
   * @param allBinary every output as binary data (the request's "binary_data_output" parameter)
   */
  record InferRequest(
      String id,
      List<Tensor> inputs,
      Set<String> outputs,
      Set<String> binaryOutputs,
      boolean allBinary) {

    InferRequest(String id, List<Tensor> inputs, Set<String> outputs) {
      this(id, inputs, outputs, Set.of(), false);
    }

    boolean binary(String output) {
      return allBinary || binaryOutputs.contains(output);
    }
  }

  /**
   * Arrays are allocated at most this large up front and grow as data arrives: a declared shape
   * alone must never make the agent allocate (a 90-byte request saying [67108864] would otherwise
   * take 512 MB).
   */
  static final int MAX_PREALLOCATED = 1 << 16;

  /** Longest string (name, id, datatype) a request may hold. */
  static final int MAX_STRING_LENGTH = 1 << 16;

  /** At most this many dimensions per shape. */
  static final int MAX_DIMS = 64;

  private final JsonFactory factory;
  private final int maxElements;

  InferRequestParser(JsonFactory factory) {
    this(factory, defaultMaxElements());
  }

  /**
   * @param maxElements most data elements one request may carry, over all its inputs
   */
  InferRequestParser(JsonFactory factory, int maxElements) {
    this.factory = factory;
    this.maxElements = maxElements;
  }

  /**
   * A request is held as primitive arrays (up to 8 bytes an element while parsing, twice that while
   * an array grows): a thirty-second of the heap keeps a few concurrent requests clear of an
   * OutOfMemoryError on the agent's small heap (-Xmx48m: 1.5 M elements).
   */
  static int defaultMaxElements() {
    return (int)
        Math.min(Integer.MAX_VALUE - 16, Math.max(1 << 20, Runtime.getRuntime().maxMemory() / 32));
  }

  InferRequest parse(InputStream body) throws IOException, BadRequestException {
    return parse(body, null);
  }

  /**
   * @param binary the request's binary section (binary tensor extension: what follows the JSON
   *     header), or null when the request is JSON only; inputs with a "binary_data_size" parameter
   *     take their bytes from it, in order, and together they must take all of it
   */
  InferRequest parse(InputStream body, ByteBuffer binary) throws IOException, BadRequestException {
    try (JsonParser p = factory.createParser(body)) {
      expect(p.nextToken() == JsonToken.START_OBJECT, "the body must be a JSON object");
      String id = null;
      List<Tensor> inputs = null;
      Set<String> outputs = new LinkedHashSet<>();
      Set<String> binaryOutputs = new LinkedHashSet<>();
      boolean allBinary = false;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        switch (field) {
          case "id" -> id = string(p, "\"id\"");
          case "inputs" -> inputs = inputs(p, binary);
          case "parameters" ->
              allBinary = parameters(p, "binary_data_output", "the request").asBoolean();
          case "outputs" -> {
            expect(value == JsonToken.START_ARRAY, "\"outputs\" must be an array");
            while (p.nextToken() == JsonToken.START_OBJECT) {
              String name = null;
              boolean asBinary = false;
              while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                p.nextToken();
                if (key.equals("name")) {
                  name = string(p, "an output's \"name\"");
                } else if (key.equals("parameters")) {
                  asBinary = parameters(p, "binary_data", "an output").asBoolean();
                } else {
                  p.skipChildren();
                }
              }
              expect(name != null, "each entry of \"outputs\" needs a \"name\"");
              outputs.add(name);
              if (asBinary) {
                binaryOutputs.add(name);
              }
            }
          }
          default -> p.skipChildren();
        }
      }
      expect(inputs != null && !inputs.isEmpty(), "the request has no \"inputs\"");
      if (binary != null && binary.hasRemaining()) {
        throw new BadRequestException(
            "the request's binary section has "
                + binary.remaining()
                + " bytes more than its inputs' binary_data_size parameters take: the sizes must"
                + " add up to exactly the body's length after Inference-Header-Content-Length");
      }
      return new InferRequest(id, inputs, outputs, binaryOutputs, allBinary);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new BadRequestException("malformed JSON: " + e.getOriginalMessage());
    }
  }

  private List<Tensor> inputs(JsonParser p, ByteBuffer binary)
      throws IOException, BadRequestException {
    expect(p.currentToken() == JsonToken.START_ARRAY, "\"inputs\" must be an array");
    List<Tensor> tensors = new ArrayList<>(4);
    int budget = maxElements;
    while (p.nextToken() == JsonToken.START_OBJECT) {
      Tensor tensor = tensor(p, budget, binary);
      budget -= tensor.length();
      tensors.add(tensor);
    }
    return tensors;
  }

  /**
   * @param budget most data elements this tensor may have (what the request has left)
   */
  private Tensor tensor(JsonParser p, int budget, ByteBuffer binary)
      throws IOException, BadRequestException {
    String name = null;
    String datatype = null;
    long[] shape = null;
    Object data = null;
    long binarySize = -1;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken value = p.nextToken();
      switch (field) {
        case "name" -> name = string(p, "an input's \"name\"");
        case "datatype" -> datatype = string(p, "an input's \"datatype\"");
        case "shape" -> {
          expect(value == JsonToken.START_ARRAY, "\"shape\" must be an array of integers");
          LongList dims = new LongList(4);
          while (p.nextToken() != JsonToken.END_ARRAY) {
            expect(
                p.currentToken() == JsonToken.VALUE_NUMBER_INT,
                "\"shape\" must be an array of integers");
            expect(dims.size < MAX_DIMS, "\"shape\" has more than " + MAX_DIMS + " dimensions");
            long dim = p.getLongValue();
            expect(dim >= 0, "\"shape\" has a negative dimension (" + dim + ")");
            dims.add(dim);
          }
          shape = dims.toArray();
          long count = Tensor.elementCount(shape);
          expect(
              count >= 0 && count <= budget,
              "input '"
                  + (name == null ? "?" : name)
                  + "' with shape "
                  + Arrays.toString(shape)
                  + " is too large for this agent (at"
                  + " most "
                  + budget
                  + " elements per request)");
        }
        case "data" -> {
          String tname = name == null ? "?" : name;
          expect(
              datatype != null,
              "input '" + tname + "': put \"datatype\" before \"data\" in the JSON object");
          int expected =
              shape == null
                  ? 16
                  : (int) Math.max(1, Math.min(Tensor.elementCount(shape), MAX_PREALLOCATED));
          data = TensorData.read(p, datatype, Math.min(expected, budget), budget, tname);
        }
        case "parameters" -> binarySize = parameters(p, "binary_data_size", "an input").asSize();
        default -> p.skipChildren();
      }
    }
    expect(name != null, "an input has no \"name\"");
    expect(datatype != null, "input '" + name + "' has no \"datatype\"");
    expect(shape != null, "input '" + name + "' has no \"shape\"");
    if (binarySize >= 0) {
      expect(data == null, "input '" + name + "' has both \"data\" and binary_data_size");
      data = binaryData(name, datatype, shape, binarySize, binary);
    }
    expect(data != null, "input '" + name + "' has no \"data\"");
    if (Tensor.elementCount(shape) != java.lang.reflect.Array.getLength(data)) {
      throw new BadRequestException(
          "input '"
              + name
              + "' has "
              + java.lang.reflect.Array.getLength(data)
              + " data elements but its shape "
              + Arrays.toString(shape)
              + " needs "
              + Tensor.elementCount(shape));
    }
    return new Tensor(name, datatype, shape, data);
  }

  private static Object binaryData(
      String name, String datatype, long[] shape, long size, ByteBuffer binary)
      throws BadRequestException {
    expect(
        binary != null,
        "input '"
            + name
            + "' has binary_data_size but the request has no binary section: send the JSON"
            + " length in the Inference-Header-Content-Length header and the bytes after it");
    expect(
        size <= binary.remaining(),
        "input '"
            + name
            + "' has binary_data_size "
            + size
            + " but only "
            + binary.remaining()
            + " bytes of the binary section are left");
    ByteBuffer slice = binary.slice();
    slice.limit((int) size);
    binary.position(binary.position() + (int) size);
    try {
      return RawTensors.decode(name, datatype, shape, slice).data();
    } catch (dev.modelfleet.agent.runtime.InferenceException e) {
      throw new BadRequestException(e.getMessage().replace("raw contents", "binary data"));
    }
  }

  /** One parameter's value out of a "parameters" object, the others skipped. */
  private static Parameter parameters(JsonParser p, String wanted, String where)
      throws IOException, BadRequestException {
    expect(
        p.currentToken() == JsonToken.START_OBJECT,
        "the \"parameters\" of " + where + " must be an object");
    Parameter found = new Parameter(wanted, null);
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      JsonToken value = p.nextToken();
      if (key.equals(wanted)) {
        found = new Parameter(wanted, value);
        if (value == JsonToken.VALUE_NUMBER_INT) {
          found = new Parameter(wanted, value, p.getLongValue());
        }
      } else {
        p.skipChildren();
      }
    }
    return found;
  }

  private record Parameter(String name, JsonToken token, long number) {
    Parameter(String name, JsonToken token) {
      this(name, token, 0);
    }

    boolean asBoolean() throws BadRequestException {
      expect(
          token == null || token == JsonToken.VALUE_TRUE || token == JsonToken.VALUE_FALSE,
          "parameter \"" + name + "\" must be true or false");
      return token == JsonToken.VALUE_TRUE;
    }

    long asSize() throws BadRequestException {
      if (token == null) {
        return -1;
      }
      expect(
          token == JsonToken.VALUE_NUMBER_INT && number >= 0 && number <= Integer.MAX_VALUE,
          "parameter \"" + name + "\" must be a byte count (a non-negative integer)");
      return number;
    }
  }

  /**
   * The current value as a string. An object or array here is refused: read with getValueAsString,
   * its fields were taken for the enclosing object's own.
   */
  private static String string(JsonParser p, String what) throws IOException, BadRequestException {
    expect(p.currentToken() == JsonToken.VALUE_STRING, what + " must be a string");
    return p.getText();
  }

  static void expect(boolean condition, String message) throws BadRequestException {
    if (!condition) {
      throw new BadRequestException(message);
    }
  }

  /**
   * Tensors travel as decimal text, so number parsing and printing is most of this API's overhead:
   * Jackson's fast floating-point parser and writer roughly halve it.
   */
  static JsonFactory newFactory() {
    return JsonFactory.builder()
        .streamReadConstraints(
            // Strings are names, ids and datatypes: Jackson's default (20 M chars, 40 MB as
            // one char[]) would let a single string exhaust the agent's 48 MB heap.
            StreamReadConstraints.builder()
                .maxDocumentLength(512L << 20)
                .maxStringLength(MAX_STRING_LENGTH)
                .build())
        .enable(com.fasterxml.jackson.core.StreamReadFeature.USE_FAST_DOUBLE_PARSER)
        .enable(com.fasterxml.jackson.core.StreamWriteFeature.USE_FAST_DOUBLE_WRITER)
        .build();
  }

  /** A growable long array, to avoid boxing dimensions. */
  static final class LongList {
    long[] values;
    int size;

    LongList(int capacity) {
      values = new long[capacity];
    }

    void add(long value) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2 + 1);
      }
      values[size++] = value;
    }

    long[] toArray() {
      return size == values.length ? values : Arrays.copyOf(values, size);
    }
  }
}
