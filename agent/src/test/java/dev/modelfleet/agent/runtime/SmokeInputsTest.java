package dev.modelfleet.agent.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class SmokeInputsTest {

  @Test
  void dynamicDimensionsScalarsAndInt64AreBuiltFromTheDeclarations() {
    List<Tensor> tensors =
        SmokeInputs.forModel(
            List.of(
                new TensorSpec("input", "FP32", new long[] {-1, -1}),
                new TensorSpec("state", "FP32", new long[] {2, -1, 128}),
                new TensorSpec("sr", "INT64", new long[0])),
            256);
    assertArrayEquals(new long[] {1, 256}, tensors.get(0).shape());
    assertArrayEquals(new long[] {2, 1, 128}, tensors.get(1).shape());
    assertEquals(256, tensors.get(1).length());
    assertArrayEquals(new long[0], tensors.get(2).shape());
    assertEquals(1, ((long[]) tensors.get(2).data()).length, "a scalar holds one element");
  }
}
