package dev.modelfleet.agent.inference;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A request's declared shape must not decide how much memory the agent allocates (the agent runs
 * with a 48 MB heap), and a shape whose element count overflows must be a 400.
 */
class InferRequestLimitsTest {

  final InferRequestParser parser = new InferRequestParser(InferRequestParser.newFactory());

  InferRequestParser.InferRequest parse(String json) throws Exception {
    return parser.parse(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));
  }

  static long allocatedBytes() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
        .getThreadAllocatedBytes(Thread.currentThread().getId());
  }

  @Test
  void aHugeDeclaredShapeWithLittleDataDoesNotAllocateForTheShape() throws Exception {
    for (String type : new String[] {"FP32", "FP64", "INT8", "BOOL"}) {
      String value = type.equals("BOOL") ? "true" : "1";
      long before = allocatedBytes();
      BadRequestException e =
          assertThrows(
              BadRequestException.class,
              () ->
                  parse(
                      "{\"inputs\":[{\"name\":\"x\",\"datatype\":\""
                          + type
                          + "\",\"shape\":[67108864],"
                          + "\"data\":["
                          + value
                          + "]}]}"));
      long allocated = allocatedBytes() - before;
      assertTrue(
          allocated < 16L << 20, type + ": a 90-byte request allocated " + allocated + " bytes");
      assertTrue(
          e.getMessage().contains("data elements") || e.getMessage().contains("too large"),
          e.getMessage());
    }
  }

  @Test
  void aShapeWhoseElementCountOverflowsIsABadRequest() {
    // 2^32 * 2^32 wraps to 0 in a long, which an empty data array would match.
    BadRequestException e =
        assertThrows(
            BadRequestException.class,
            () ->
                parse(
                    "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[4294967296,4294967296],"
                        + "\"data\":[]}]}"));
    assertTrue(e.getMessage().contains("shape"), e.getMessage());
    assertThrows(
        BadRequestException.class,
        () ->
            parse(
                "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\","
                    + "\"shape\":[1000000000,1000000000,1000000000],\"data\":[1]}]}"));
  }

  @Test
  void negativeDimensionsAreABadRequest() {
    BadRequestException e =
        assertThrows(
            BadRequestException.class,
            () ->
                parse(
                    "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[-1,-4],"
                        + "\"data\":[1,2,3,4]}]}"));
    assertTrue(e.getMessage().contains("shape"), e.getMessage());
  }

  @Test
  void moreDataThanTheAgentCanHoldIsABadRequestNotAnOutOfMemoryError() {
    int max = 1000;
    InferRequestParser small = new InferRequestParser(InferRequestParser.newFactory(), max);
    StringBuilder json = new StringBuilder((int) (max * 2 + 200));
    json.append("{\"inputs\":[{\"name\":\"x\",\"datatype\":\"INT8\",\"data\":[");
    for (int i = 0; i <= max; i++) {
      json.append(i == 0 ? "1" : ",1");
    }
    json.append("],\"shape\":[1]}]}");
    BadRequestException e =
        assertThrows(
            BadRequestException.class,
            () ->
                small.parse(
                    new ByteArrayInputStream(json.toString().getBytes(StandardCharsets.UTF_8))));
    assertTrue(e.getMessage().contains("too large"), e.getMessage());
    // A declared shape beyond the limit is refused before any data is read.
    e =
        assertThrows(
            BadRequestException.class,
            () ->
                small.parse(
                    new ByteArrayInputStream(
                        "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1001],\"data\":[1]}]}"
                            .getBytes(StandardCharsets.UTF_8))));
    assertTrue(e.getMessage().contains("too large"), e.getMessage());
  }

  @Test
  void aHugeStringIsABadRequest() throws Exception {
    String name = "n".repeat(1 << 20);
    assertThrows(
        BadRequestException.class,
        () ->
            parse(
                "{\"inputs\":[{\"name\":\""
                    + name
                    + "\",\"datatype\":\"FP32\",\"shape\":[1],"
                    + "\"data\":[1]}]}"));
    assertThrows(
        BadRequestException.class,
        () ->
            parse(
                "{\"id\":\""
                    + name
                    + "\",\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\","
                    + "\"shape\":[1],\"data\":[1]}]}"));
    // Names of ordinary length still parse.
    parse(
        "{\"inputs\":[{\"name\":\""
            + "n".repeat(1000)
            + "\",\"datatype\":\"FP32\","
            + "\"shape\":[1],\"data\":[1]}]}");
  }

  @Test
  void anObjectWhereAStringBelongsIsABadRequestNotReadAsTheEnclosingObject() throws Exception {
    String valid = "{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1]}";
    // Read with getValueAsString, the "id" object's fields were taken for the request's own:
    // its "inputs" won and the real ones were never read.
    BadRequestException e =
        assertThrows(
            BadRequestException.class,
            () -> parse("{\"id\":{\"inputs\":[" + valid + "]},\"inputs\":[" + valid + "]}"));
    assertTrue(e.getMessage().contains("\"id\""), e.getMessage());
    assertThrows(
        BadRequestException.class,
        () ->
            parse(
                "{\"inputs\":[{\"name\":[\"x\"],\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1]}]}"));
    assertThrows(
        BadRequestException.class,
        () -> parse("{\"inputs\":[" + valid + "],\"outputs\":[{\"name\":{\"a\":1}}]}"));
    parse("{\"id\":\"r1\",\"inputs\":[" + valid + "],\"outputs\":[{\"name\":\"y\"}]}");
  }
}
