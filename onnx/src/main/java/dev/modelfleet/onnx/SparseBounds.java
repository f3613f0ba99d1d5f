package dev.modelfleet.onnx;

import dev.modelfleet.onnx.UnsafeModelException.Reason;

/**
 * The consistency of a sparse tensor: NNZ values, NNZ indices (linear, or one coordinate per
 * dimension), every index inside the dense shape. ONNX Runtime writes each value at its index when
 * it expands the tensor, so an index outside the shape must never reach it.
 */
final class SparseBounds {

  private static final int INT64 = 7;

  private SparseBounds() {}

  static void check(
      String where,
      TensorReader.Tensor values,
      TensorReader.Tensor indices,
      WireReader.LongList dims)
      throws UnsafeModelException {
    if (values == null || indices == null) {
      throw new UnsafeModelException(Reason.MALFORMED, where + " lacks its values or indices");
    }
    if (values.dims().length != 1) {
      throw mismatch(where, "its values must be one-dimensional [NNZ]");
    }
    long nnz = values.dims()[0];
    long dense = 1;
    for (int i = 0; i < dims.size(); i++) {
      if (dims.get(i) < 0) {
        throw new UnsafeModelException(Reason.MALFORMED, where + " has a negative dimension");
      }
      dense = TensorReader.multiply(dense, dims.get(i), where);
    }
    if (nnz > dense) {
      throw mismatch(where, "it has " + nnz + " values for a shape of " + dense + " elements");
    }
    long[] shape = indices.dims();
    boolean linear = shape.length == 1 && shape[0] == nnz;
    boolean coordinates = shape.length == 2 && shape[0] == nnz && shape[1] == dims.size();
    if (!linear && !coordinates) {
      throw mismatch(where, "its indices must be [NNZ] or [NNZ, rank]");
    }
    if (indices.dataType() != INT64
        || indices.int64s() == null
        || indices.int64s().size() != indices.elements()) {
      throw new UnsafeModelException(
          Reason.MALFORMED,
          where + " must keep its indices as int64," + " with data_type written before the data");
    }
    WireReader.LongList values64 = indices.int64s();
    for (int i = 0; i < values64.size(); i++) {
      long bound = linear ? dense : dims.get(i % dims.size());
      long index = values64.get(i);
      if (index < 0 || index >= bound) {
        throw mismatch(where, "index " + index + " lies outside its shape");
      }
    }
  }

  private static UnsafeModelException mismatch(String where, String what) {
    return new UnsafeModelException(Reason.TENSOR_SIZE_MISMATCH, where + ": " + what);
  }
}
