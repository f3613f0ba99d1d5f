package dev.modelfleet.server.model;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.modelfleet.onnx.OnnxModelReader;
import dev.modelfleet.server.common.ApiException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The upload check's refusal as an operator reads it: ONNX Runtime's reason whole. */
class OnnxInspectorTest {

  @Test
  void aModelOnnxRuntimeRefusesIsRefusedWithItsWholeReasonNotCutAt300Characters() throws Exception {
    // the node's name alone is longer than the old cut; the reason comes after it
    String name = "backbone/stage4/block7/".repeat(14) + "add";
    GraphProto g =
        GraphProto.newBuilder()
            .setName("g")
            .addInput(value("a", 2))
            .addInput(value("b", 3))
            .addOutput(value("y", 2))
            .addNode(
                NodeProto.newBuilder()
                    .setOpType("Add")
                    .setName(name)
                    .addInput("a")
                    .addInput("b")
                    .addOutput("y"))
            .build();
    byte[] model =
        ModelProto.newBuilder()
            .setIrVersion(8)
            .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(17))
            .setGraph(g)
            .build()
            .toByteArray();

    ApiException e =
        assertThrows(
            ApiException.class,
            () ->
                new OnnxInspector().inspect(OnnxModelReader.check(model), Path.of("upload.onnx")));
    String detail = e.getMessage();
    assertTrue(detail.length() > 320, detail);
    assertTrue(detail.contains(name), detail);
    assertTrue(detail.contains("Incompatible dimensions"), detail);
    assertTrue(!detail.endsWith("..."), detail);
  }

  private static ValueInfoProto value(String name, long size) {
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(
            TypeProto.newBuilder()
                .setTensorType(
                    TypeProto.Tensor.newBuilder()
                        .setElemType(TensorProto.DataType.FLOAT_VALUE)
                        .setShape(
                            TensorShapeProto.newBuilder()
                                .addDim(
                                    TensorShapeProto.Dimension.newBuilder().setDimValue(size)))))
        .build();
  }
}
