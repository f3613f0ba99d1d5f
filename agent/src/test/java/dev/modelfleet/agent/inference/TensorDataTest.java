package dev.modelfleet.agent.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.modelfleet.agent.runtime.Tensor;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * What each datatype's "data" becomes: the primitive array of the datatype, flattened from any
 * nesting, and the refusal a caller gets for values that do not fit it.
 */
class TensorDataTest {

  final InferRequestParser parser = new InferRequestParser(InferRequestParser.newFactory());

  Object data(String datatype, String shape, String data) throws Exception {
    String body =
        "{\"inputs\":[{\"name\":\"x\",\"datatype\":\""
            + datatype
            + "\",\"shape\":"
            + shape
            + ",\"data\":"
            + data
            + "}]}";
    Tensor tensor =
        parser
            .parse(new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)))
            .inputs()
            .get(0);
    return tensor.data();
  }

  String refusal(String datatype, String shape, String data) {
    return assertThrows(BadRequestException.class, () -> data(datatype, shape, data)).getMessage();
  }

  @Test
  void eachDatatypeIsReadIntoItsOwnPrimitiveArray() throws Exception {
    assertArrayEquals(new float[] {0.5f, -1f, 2f}, (float[]) data("FP32", "[3]", "[0.5,-1,2]"));
    assertArrayEquals(new double[] {0.1, 1e300}, (double[]) data("FP64", "[2]", "[0.1,1e300]"));
    assertArrayEquals(
        new long[] {Long.MIN_VALUE, 7}, (long[]) data("INT64", "[2]", "[-9223372036854775808,7]"));
    assertArrayEquals(
        new int[] {Integer.MIN_VALUE, Integer.MAX_VALUE},
        (int[]) data("INT32", "[2]", "[-2147483648,2147483647]"));
    assertArrayEquals(
        new short[] {-32768, 32767}, (short[]) data("INT16", "[2]", "[-32768,32767]"));
    assertArrayEquals(new byte[] {-128, 127}, (byte[]) data("INT8", "[2]", "[-128,127]"));
    assertArrayEquals(new byte[] {0, (byte) 255}, (byte[]) data("UINT8", "[2]", "[0,255]"));
    assertArrayEquals(new boolean[] {true, false}, (boolean[]) data("BOOL", "[2]", "[true,false]"));
  }

  @Test
  void nestedDataIsFlattenedInRowMajorOrder() throws Exception {
    assertArrayEquals(
        new float[] {1, 2, 3, 4, 5, 6}, (float[]) data("FP32", "[2,3]", "[[1,2,3],[4,5,6]]"));
    assertArrayEquals(
        new int[] {1, 2, 3, 4}, (int[]) data("INT32", "[2,1,2]", "[[[1,2]],[[3,4]]]"));
  }

  @Test
  void dataLongerThanTheShapeSaysGrowsItsArrayAndIsThenRefusedByTheShapeCheck() {
    assertEquals(
        "input 'x' has 70000 data elements but its shape [2] needs 2",
        refusal("FP32", "[2]", "[" + "1,".repeat(69_999) + "1]"));
  }

  @Test
  void valuesThatDoNotFitTheDatatypeAreRefusedWithWhatToSend() {
    assertEquals(
        "input 'x' is FP32 but its data holds a non-number; send numbers",
        refusal("FP32", "[2]", "[1,\"2\"]"));
    assertEquals(
        "input 'x' is FP64 but its data holds a non-number; send numbers",
        refusal("FP64", "[1]", "[true]"));
    assertEquals(
        "input 'x' is INT64 but its data holds 1.5; send integers",
        refusal("INT64", "[1]", "[1.5]"));
    assertEquals("input 'x' is BOOL; send true/false", refusal("BOOL", "[1]", "[1]"));
    assertEquals("input 'x' value 128 is out of range for INT8", refusal("INT8", "[2]", "[1,128]"));
    assertEquals("input 'x' value -1 is out of range for UINT8", refusal("UINT8", "[1]", "[-1]"));
    assertEquals(
        "input 'x' value 2147483648 is out of range for INT32",
        refusal("INT32", "[1]", "[2147483648]"));
    assertEquals(
        "input 'x' value -32769 is out of range for INT16", refusal("INT16", "[1]", "[-32769]"));
  }

  @Test
  void anUnknownDatatypeAndDataThatIsNoArrayAreRefused() {
    assertEquals(
        "input 'x' has datatype FP16, which this agent does not accept (FP32, FP64, INT64, INT32,"
            + " INT16, INT8, UINT8, BOOL)",
        refusal("FP16", "[1]", "[1]"));
    assertEquals("input 'x': \"data\" must be an array", refusal("FP32", "[1]", "1"));
  }
}
