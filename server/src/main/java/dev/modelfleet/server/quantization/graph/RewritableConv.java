package dev.modelfleet.server.quantization.graph;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.Map;

/**
 * A standard-domain Conv whose weights (and bias, if any) are stored float constants of the shapes
 * ONNX gives them, so that a graph rewrite may read, scale, split or reorder them: what affine
 * folding and channel splitting both need before they touch a Conv.
 */
final class RewritableConv {

  private RewritableConv() {}

  static boolean is(Map<String, TensorProto> constants, NodeProto n) {
    if (!n.getDomain().isEmpty()
        || !n.getOpType().equals("Conv")
        || n.getOutputCount() != 1
        || n.getInputCount() < 2) {
      return false;
    }
    TensorProto w = constants.get(n.getInput(1));
    if (Int8DynamicQuantizer.weightRefusal(w, -1) != null || w.getDimsCount() < 3) {
      return false;
    }
    if (n.getInputCount() > 2 && !n.getInput(2).isEmpty()) {
      TensorProto b = constants.get(n.getInput(2));
      return b != null
          && b.getDataType() == Tensors.FLOAT
          && !Tensors.isExternal(b)
          && b.getDimsCount() == 1
          && b.getDims(0) == w.getDims(0);
    }
    return true;
  }
}
