package dev.modelfleet.server.quantization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.modelfleet.agent.onnx.SampleModels;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The graph rewrites alone, against ONNX Runtime, on models built here. */
class QuantizerTest {

  @Test
  void int8DynamicConvertsEveryConvAndGemmAndStaysClose() {
    for (boolean constants : new boolean[] {false, true}) {
      ModelProto cnn = TestModels.cnn(3, constants, false);
      var result = Int8DynamicQuantizer.quantize(cnn);
      assertEquals(5, result.report().converted().size(), result.report().toString());
      byte[] ref = cnn.toByteArray();
      var figures = VariantCheck.compare(ref, result.model().toByteArray(),
          ValidationSet.synthesize(VariantCheck.inputs(ref), 1));
      System.out.println("cnn constants=" + constants + " " + figures);
      assertTrue(figures.outputs().get(0).cosineSimilarity() > 0.99, figures.toString());
    }
  }

  @Test
  void int8DynamicReachesWeightsInsideIfBranches() {
    ModelProto cnn = TestModels.cnn(4, true, true);
    var result = Int8DynamicQuantizer.quantize(cnn);
    assertEquals(10, result.report().converted().size(), result.report().toString());
    byte[] ref = cnn.toByteArray();
    var figures = VariantCheck.compare(ref, result.model().toByteArray(),
        ValidationSet.synthesize(VariantCheck.inputs(ref), 1));
    assertTrue(figures.outputs().get(0).cosineSimilarity() > 0.99, figures.toString());
  }

  @Test
  void int8DynamicOnTheSampleMlp() {
    byte[] ref = SampleModels.classifier(7, 64, 256, 10);
    var result = Int8DynamicQuantizer.quantize(OnnxGraphsTestAccess.parse(ref));
    assertEquals(2, result.report().converted().size());
    var figures = VariantCheck.compare(ref, result.model().toByteArray(),
        ValidationSet.synthesize(VariantCheck.inputs(ref), 1));
    System.out.println("mlp " + figures + " size " + result.model().getSerializedSize() + "/" + ref.length);
    assertTrue(figures.accuracy() >= 0.9, figures.toString());
  }

  @Test
  void fp16KeepsFloatSignatureAndStaysClose() {
    ModelProto cnn = TestModels.cnn(5, false, true);
    var result = Fp16Converter.convert(cnn);
    byte[] ref = cnn.toByteArray();
    var figures = VariantCheck.compare(ref, result.model().toByteArray(),
        ValidationSet.synthesize(VariantCheck.inputs(ref), 1));
    assertTrue(figures.outputs().get(0).cosineSimilarity() > 0.999, figures.toString());
  }

  @Test
  void sharedModels() throws Exception {
    for (String f : new String[] {"ch_ppocr_mobile_v2.0_cls_infer.onnx", "silero_vad_v5.onnx"}) {
      Path p = TestModels.shared(f).orElse(null);
      if (p == null) {
        continue;
      }
      byte[] ref = Files.readAllBytes(p);
      ModelProto m = OnnxGraphs.read(p);
      java.util.Set<String> ops = new java.util.TreeSet<>();
      OnnxGraphs.forEachNode(m.getGraph(), n -> ops.add(n.getOpType()));
      System.out.println(f + " opset " + OnnxGraphs.defaultOpset(m) + " ops " + ops + " inputs " + m.getGraph().getInputList());
      var q = Int8DynamicQuantizer.quantize(m);
      System.out.println(" int8 converted " + q.report().converted().size() + " kept " + q.report().keptFloat());
      var h = Fp16Converter.convert(m);
      java.util.Map<String, Long> bytesByType = new java.util.TreeMap<>();
      OnnxGraphs.forEachConstant(q.model().getGraph(), t -> bytesByType.merge(t.getDataType() + ":" + (t.getDimsCount()), (long) t.getSerializedSize(), Long::sum));
      System.out.println(" int8 constants by type:rank " + bytesByType);
      java.util.Map<String, Long> consumers = new java.util.TreeMap<>();
      java.util.Set<String> bigFloat = new java.util.HashSet<>();
      OnnxGraphs.forEachNode(q.model().getGraph(), n -> { if (Int8DynamicQuantizer.isConstantNode(n) && n.getAttribute(0).getT().getDataType()==1 && n.getAttribute(0).getT().getSerializedSize()>2000) bigFloat.add(n.getOutput(0)); });
      OnnxGraphs.forEachNode(q.model().getGraph(), n -> n.getInputList().forEach(i -> { if (bigFloat.contains(i)) consumers.merge(n.getOpType(), 1L, Long::sum); }));
      System.out.println(" big float consumers " + consumers);
      for (var r : new Int8DynamicQuantizer.Result[] {q, h}) {
        byte[] cand = r.model().toByteArray();
        try {
          var figures = VariantCheck.compare(ref, cand, ValidationSet.synthesize(VariantCheck.inputs(ref), 1));
          System.out.println(" size " + cand.length + "/" + ref.length + " " + figures);
        } catch (DerivationException e) {
          System.out.println(" failed " + e.getMessage());
        }
      }
    }
  }
}
