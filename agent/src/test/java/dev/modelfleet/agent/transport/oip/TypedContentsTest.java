package dev.modelfleet.agent.transport.oip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.agent.inference.RawTensors;
import dev.modelfleet.agent.runtime.InferenceException;
import dev.modelfleet.agent.runtime.Tensor;
import dev.modelfleet.inference.v2.InferTensorContents;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every datatype the agent takes, through both of the protocol's forms and back: typed contents
 * (the repeated field the protocol assigns it) and raw little-endian bytes.
 */
class TypedContentsTest {

  static final List<Tensor> EVERY_DATATYPE =
      List.of(
          new Tensor("f", "FP32", new long[] {2}, new float[] {1.5f, -2f}),
          new Tensor("d", "FP64", new long[] {2}, new double[] {1e300, -0.25}),
          new Tensor("l", "INT64", new long[] {2}, new long[] {Long.MIN_VALUE, 7}),
          new Tensor("i", "INT32", new long[] {2}, new int[] {Integer.MAX_VALUE, -1}),
          new Tensor("s", "INT16", new long[] {2}, new short[] {Short.MIN_VALUE, 3}),
          new Tensor("b", "INT8", new long[] {2}, new byte[] {-128, 127}),
          new Tensor("u", "UINT8", new long[] {2}, new byte[] {(byte) 255, 0}),
          new Tensor("z", "BOOL", new long[] {2}, new boolean[] {true, false}));

  @Test
  void everyDatatypeSurvivesTypedContentsAndRawBytes() throws Exception {
    for (Tensor t : EVERY_DATATYPE) {
      InferTensorContents typed = TypedContents.encode(t);
      Tensor back = TypedContents.decode(t.name(), t.datatype(), t.shape(), typed);
      assertSameData(t, back);
      byte[] raw = RawTensors.encode(t);
      assertEquals(2 * RawTensors.elementSize(t.datatype()), raw.length, t.datatype());
      assertSameData(t, RawTensors.decode(t.name(), t.datatype(), t.shape(), ByteBuffer.wrap(raw)));
    }
    assertEquals(255, TypedContents.encode(EVERY_DATATYPE.get(6)).getUintContents(0));
  }

  @Test
  void valuesOutsideTheDatatypesRangeAreRefusedByName() {
    InferTensorContents big = InferTensorContents.newBuilder().addIntContents(200).build();
    InferenceException int8 =
        assertThrows(
            InferenceException.class, () -> TypedContents.decode("x", "INT8", new long[] {1}, big));
    assertTrue(int8.clientError());
    assertTrue(int8.getMessage().contains("input 'x' holds 200, outside"), int8.getMessage());
    InferTensorContents negative = InferTensorContents.newBuilder().addUintContents(-1).build();
    InferenceException uint8 =
        assertThrows(
            InferenceException.class,
            () -> TypedContents.decode("y", "UINT8", new long[] {1}, negative));
    assertTrue(uint8.getMessage().contains("4294967295"), uint8.getMessage());
  }

  private static void assertSameData(Tensor want, Tensor got) {
    assertEquals(want.datatype(), got.datatype());
    Object a = want.data();
    Object b = got.data();
    if (a instanceof float[] x) {
      assertArrayEquals(x, (float[]) b);
    } else if (a instanceof double[] x) {
      assertArrayEquals(x, (double[]) b);
    } else if (a instanceof long[] x) {
      assertArrayEquals(x, (long[]) b);
    } else if (a instanceof int[] x) {
      assertArrayEquals(x, (int[]) b);
    } else if (a instanceof short[] x) {
      assertArrayEquals(x, (short[]) b);
    } else if (a instanceof byte[] x) {
      assertArrayEquals(x, (byte[]) b);
    } else {
      assertArrayEquals((boolean[]) a, (boolean[]) b);
    }
  }
}
