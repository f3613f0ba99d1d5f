package dev.modelfleet.server.quantization;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.google.protobuf.InvalidProtocolBufferException;

final class OnnxGraphsTestAccess {
  private OnnxGraphsTestAccess() {}

  static ModelProto parse(byte[] bytes) {
    try {
      return ModelProto.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }
}
