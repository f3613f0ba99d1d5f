package dev.modelfleet.agent.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class TensorValidatorTest {

  final List<TensorSpec> declared = List.of(new TensorSpec("x", "FP32", new long[] {-1, 4}));

  String problem(Tensor tensor) {
    return assertThrows(
            InferenceException.class, () -> TensorValidator.check(declared, List.of(tensor)))
        .getMessage();
  }

  @Test
  void eachProblemIsNamed() throws Exception {
    TensorValidator.check(
        declared, List.of(new Tensor("x", "FP32", new long[] {2, 4}, new float[8])));
    assertTrue(
        problem(new Tensor("y", "FP32", new long[] {1, 4}, new float[4]))
            .contains("unknown input 'y'"));
    assertTrue(
        problem(new Tensor("x", "INT64", new long[] {1, 4}, new long[4]))
            .contains("datatype INT64"));
    assertTrue(
        problem(new Tensor("x", "FP32", new long[] {1, 5}, new float[5])).contains("shape [1, 5]"));
    assertTrue(
        problem(new Tensor("x", "FP32", new long[] {1, 4}, new float[3]))
            .contains("3 data elements"));
  }

  @Test
  void aShapeWhoseElementCountOverflowsIsRefusedNotWrappedToZero() {
    // 2^32 * 2^32 wraps to 0 in a long: it must not match an empty data array.
    List<TensorSpec> dynamic = List.of(new TensorSpec("x", "FP32", new long[] {-1, -1}));
    InferenceException e =
        assertThrows(
            InferenceException.class,
            () ->
                TensorValidator.check(
                    dynamic,
                    List.of(
                        new Tensor("x", "FP32", new long[] {1L << 32, 1L << 32}, new float[0]))));
    assertTrue(e.clientError());
    assertEquals(-1, Tensor.elementCount(new long[] {1L << 32, 1L << 32}));
    assertEquals(-1, Tensor.elementCount(new long[] {3, -1}));
    assertEquals(0, Tensor.elementCount(new long[] {0, 1L << 40}));
  }

  @Test
  void oneInputGivenTwiceInPlaceOfAnotherIsAClientError() {
    List<TensorSpec> two =
        List.of(
            new TensorSpec("a", "FP32", new long[] {1}),
            new TensorSpec("b", "FP32", new long[] {1}));
    InferenceException e =
        assertThrows(
            InferenceException.class,
            () ->
                TensorValidator.check(
                    two,
                    List.of(
                        new Tensor("a", "FP32", new long[] {1}, new float[1]),
                        new Tensor("a", "FP32", new long[] {1}, new float[1]))));
    assertTrue(e.clientError());
    assertTrue(e.getMessage().contains("'a'") && e.getMessage().contains("b"), e.getMessage());
  }
}
