package dev.modelfleet.server.model;

import dev.modelfleet.protocol.agent.v1.TensorSpec;
import java.util.List;

/** One input or output of a model: name, ONNX element type and shape (-1 = dynamic). */
public record TensorSpecInfo(String name, String type, List<Long> shape) {

  public TensorSpec toProto() {
    return TensorSpec.newBuilder().setName(name).setType(type).addAllShape(shape).build();
  }
}
