package dev.modelfleet.server.quantization.graph;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.modelfleet.server.quantization.graph.OnnxGraphs.Namer;
import dev.modelfleet.server.quantization.graph.QuantizationReport.Op;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * int8-qdq pre-processing for activations whose channels differ in range by an order of magnitude:
 * one uint8 scale per tensor then leaves the small channels a handful of levels. Where such a
 * tensor is a Conv's output that only channel-wise operators read up to a depthwise Conv (a {@link
 * Region}: PPLCNetV3's pointwise Conv → hard-swish → depthwise Conv), the region is split in two
 * copies, one for the wide channels and one for the narrow, each with its own tensors and so its
 * own scales, and joined by a Concat after the depthwise Conv, where ranges are ordinary again; the
 * Convs that read the joined tensor take their input channels in the new order. The same function
 * in float, exactly: every operator in the region works per channel.
 *
 * <p>PaddleOCR's PP-OCRv4 detector: its third Conv's output channels reach 4 to 224 on rendered
 * text images, and that one region cost most of the int8 variant's accuracy (IoU@0.3 0.898 all
 * int8, 0.948 with the region float; split, 0.945 all int8).
 */
public final class ChannelSplit {

  /** Channel-wise operators a region may hold between its Conv and its depthwise Conv. */
  private static final Set<String> CHANNEL_WISE =
      Set.of("Add", "Mul", "Sub", "Clip", "Relu", "Sigmoid", "LeakyRelu");

  /** Split only where the narrow channels' range shrinks at least this much. */
  static final double MIN_GAIN = 3;

  /**
   * A Conv ({@code head}, group 1), the channel-wise operators and depthwise Convs after it (graph
   * order), and the Convs that mix its channels again ({@code ends}, each reading a depthwise
   * Conv's output); {@code channels}: the head's output channels.
   */
  public record Region(NodeProto head, List<NodeProto> body, List<NodeProto> ends, int channels) {
    public String headOutput() {
      return head.getOutput(0);
    }
  }

  private final Map<String, TensorProto> constants = new HashMap<>();
  private final Map<String, List<NodeProto>> readers = new HashMap<>();
  private final Set<String> graphOutputs = new HashSet<>();
  private final GraphProto graph;

  private ChannelSplit(GraphProto graph) {
    this.graph = graph;
    graph.getInitializerList().forEach(t -> constants.put(t.getName(), t));
    graph.getOutputList().forEach(v -> graphOutputs.add(v.getName()));
    for (NodeProto n : graph.getNodeList()) {
      for (String in : n.getInputList()) {
        readers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
      }
    }
  }

  /** The regions of the main graph that could be split (whatever their ranges). */
  public static List<Region> regions(ModelProto model) {
    ChannelSplit s = new ChannelSplit(model.getGraph());
    List<Region> out = new ArrayList<>();
    for (NodeProto n : model.getGraph().getNodeList()) {
      Region r = s.regionFrom(n);
      if (r != null) {
        out.add(r);
      }
    }
    return out;
  }

  /**
   * The model with each region whose head's output channels reach {@code channelMax} (head output →
   * max |x| per channel, from calibration) split where that narrows the narrow channels' range at
   * least {@link #MIN_GAIN}-fold; one {@code converted} entry per split.
   */
  public static ModelProto split(
      ModelProto model, Map<String, float[]> channelMax, List<Op> converted) {
    ModelProto current = model;
    for (Region r : regions(model)) {
      float[] max = channelMax.get(r.headOutput());
      int[] wide = max == null ? null : wideChannels(max);
      if (wide == null) {
        continue;
      }
      // regions do not overlap (each ends at its depthwise Conv), so re-finding it is safe
      ChannelSplit s = new ChannelSplit(current.getGraph());
      Region now = null;
      for (NodeProto n : current.getGraph().getNodeList()) {
        if (n.getOutputCount() == 1 && n.getOutput(0).equals(r.headOutput())) {
          now = s.regionFrom(n);
        }
      }
      if (now == null) {
        continue;
      }
      current = current.toBuilder().setGraph(s.rewrite(now, wide, max.length)).build();
      converted.add(
          new Op(
              "main",
              OnnxGraphs.nodeLabel(r.head()),
              "Conv",
              String.format(
                  java.util.Locale.ROOT,
                  "split with the %d channel-wise operators after it, up to the %d Conv reading"
                      + " them, into %d wide and %d narrow channels (max |x| up to %.1f and"
                      + " %.1f), each part with its own scales",
                  r.body().size(),
                  r.ends().size(),
                  wide.length,
                  max.length - wide.length,
                  maxOf(max, wide, true),
                  maxOf(max, wide, false))));
    }
    return current;
  }

  /**
   * The channels to put apart: the split of the channels sorted by max |x| into narrow and wide
   * that minimises the summed squared step relative to each channel's own max (each channel's
   * rounding noise relative to its size); null when it narrows the narrow ones' range less than
   * {@link #MIN_GAIN}-fold.
   */
  public static int[] wideChannels(float[] max) {
    Integer[] order = new Integer[max.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Float.compare(max[a], max[b]));
    double top = max[order[order.length - 1]];
    if (!(top > 0)) {
      return null;
    }
    double best = cost(max, order, order.length);
    int bestK = order.length;
    for (int k = 1; k < order.length; k++) {
      double c = cost(max, order, k);
      if (c < best) {
        best = c;
        bestK = k;
      }
    }
    if (bestK == order.length || top / max[order[bestK - 1]] < MIN_GAIN) {
      return null;
    }
    int[] wide = new int[order.length - bestK];
    for (int i = bestK; i < order.length; i++) {
      wide[i - bestK] = order[i];
    }
    Arrays.sort(wide);
    return wide;
  }

  /** Σ (group max / channel max)² with the first {@code k} sorted channels narrow. */
  private static double cost(float[] max, Integer[] order, int k) {
    double narrow = k == 0 ? 0 : max[order[k - 1]];
    double wide = max[order[order.length - 1]];
    double sum = 0;
    for (int i = 0; i < order.length; i++) {
      double m = Math.max(max[order[i]], 1e-6);
      double g = i < k ? narrow : wide;
      sum += (g / m) * (g / m);
    }
    return sum;
  }

  private static double maxOf(float[] max, int[] wide, boolean inWide) {
    Set<Integer> w = new HashSet<>();
    for (int c : wide) {
      w.add(c);
    }
    double m = 0;
    for (int c = 0; c < max.length; c++) {
      if (w.contains(c) == inWide) {
        m = Math.max(m, max[c]);
      }
    }
    return m;
  }

  private Region regionFrom(NodeProto head) {
    if (!RewritableConv.is(constants, head)
        || OnnxGraphs.readInt(head, "group", 1) != 1
        || graphOutputs.contains(head.getOutput(0))) {
      return null;
    }
    long channels = constants.get(head.getInput(1)).getDims(0);
    Set<String> tensors = new HashSet<>(Set.of(head.getOutput(0)));
    List<NodeProto> body = new ArrayList<>();
    List<NodeProto> ends = new ArrayList<>();
    Set<String> depthwiseOutputs = new HashSet<>();
    // graph order is topological: one pass meets every reader of the region's tensors
    for (NodeProto n : graph.getNodeList()) {
      if (n.getInputList().stream().noneMatch(tensors::contains)) {
        continue;
      }
      if (RewritableConv.is(constants, n)
          && tensors.contains(n.getInput(0))
          && isDepthwise(n, channels)) {
        body.add(n);
        tensors.add(n.getOutput(0));
        depthwiseOutputs.add(n.getOutput(0));
      } else if (channelWise(n, tensors)) {
        body.add(n);
        tensors.add(n.getOutput(0));
      } else if (RewritableConv.is(constants, n)
          && OnnxGraphs.readInt(n, "group", 1) == 1
          && depthwiseOutputs.contains(n.getInput(0))
          && constants.get(n.getInput(1)).getDims(1) == channels) {
        // joined where a depthwise Conv has brought the ranges together again: a Concat after an
        // activation would put the wide and narrow channels under one scale once more (measured:
        // IoU@0.3 0.940 with such regions split, 0.945 without)
        ends.add(n);
      } else {
        return null; // a reader that mixes channels some other way
      }
    }
    if (ends.isEmpty() || tensors.stream().anyMatch(graphOutputs::contains)) {
      return null;
    }
    return new Region(head, body, ends, (int) channels);
  }

  private boolean isDepthwise(NodeProto n, long channels) {
    return RewritableConv.is(constants, n)
        && OnnxGraphs.readInt(n, "group", 1) == channels
        && constants.get(n.getInput(1)).getDims(0) == channels
        && constants.get(n.getInput(1)).getDims(1) == 1;
  }

  /** An operator that works on each channel alone: region tensors and scalar constants only. */
  private boolean channelWise(NodeProto n, Set<String> tensors) {
    if (!n.getDomain().isEmpty()
        || !CHANNEL_WISE.contains(n.getOpType())
        || n.getOutputCount() != 1) {
      return false;
    }
    for (String in : n.getInputList()) {
      if (in.isEmpty() || tensors.contains(in)) {
        continue;
      }
      TensorProto c = constants.get(in);
      if (c == null || Tensors.elements(c) != 1 || c.getDimsCount() > 1) {
        return false; // another activation, or a constant that is not one value for all
      }
    }
    return true;
  }

  private GraphProto rewrite(Region r, int[] wide, int channels) {
    Set<Integer> w = new HashSet<>();
    for (int c : wide) {
      w.add(c);
    }
    int[] narrow = new int[channels - wide.length];
    int k = 0;
    for (int c = 0; c < channels; c++) {
      if (!w.contains(c)) {
        narrow[k++] = c;
      }
    }
    int[] order = new int[channels];
    System.arraycopy(narrow, 0, order, 0, narrow.length);
    System.arraycopy(wide, 0, order, narrow.length, wide.length);
    Namer namer = new Namer(OnnxGraphs.allNames(graph));
    List<TensorProto> added = new ArrayList<>();
    Set<NodeProto> moved = new HashSet<>(r.body());
    moved.add(r.head());
    Set<NodeProto> ends = new HashSet<>(r.ends());
    String[] parts = {"narrow", "wide"};
    int[][] channelsOf = {narrow, wide};
    List<Map<String, String>> renames = List.of(new HashMap<>(), new HashMap<>());
    GraphProto.Builder out = graph.toBuilder().clearNode();
    for (NodeProto n : graph.getNodeList()) {
      if (n == r.head()) {
        // the head and body, once per part, where the head stood (their inputs exist by then)
        for (int p = 0; p < 2; p++) {
          Map<String, String> rename = renames.get(p);
          for (NodeProto b : withHead(r)) {
            String o = namer.fresh(b.getOutput(0) + "_" + parts[p]);
            NodeProto.Builder copy = b.toBuilder();
            for (int i = 0; i < b.getInputCount(); i++) {
              String mapped = rename.get(b.getInput(i));
              if (mapped != null) {
                copy.setInput(i, mapped);
              }
            }
            copy.setOutput(0, o).setName(namer.fresh(OnnxGraphs.nodeLabel(b) + "_" + parts[p]));
            rename.put(b.getOutput(0), o);
            out.addNode(
                b.getOpType().equals("Conv")
                    ? sliceOutputs(copy.build(), b, channelsOf[p], b != r.head(), namer, added)
                    : copy.build());
          }
        }
        // the channels joined again, narrow then wide, for the Convs that mix them
        Set<String> joined = new java.util.LinkedHashSet<>();
        r.ends().forEach(e -> joined.add(e.getInput(0)));
        for (String t : joined) {
          out.addNode(
              OnnxGraphs.node(
                  "Concat",
                  namer.fresh(t + "_join"),
                  List.of(renames.get(0).get(t), renames.get(1).get(t)),
                  List.of(t),
                  OnnxGraphs.intAttr("axis", 1)));
        }
      } else if (moved.contains(n)) {
        continue;
      } else if (ends.contains(n)) {
        out.addNode(permuteInputs(n, order, namer, added));
      } else {
        out.addNode(n);
      }
    }
    out.addAllInitializer(added);
    GraphProto g = out.build();
    return OnnxGraphs.pruneUnusedConstants(g, OnnxGraphs.usedNames(g));
  }

  private static List<NodeProto> withHead(Region r) {
    List<NodeProto> all = new ArrayList<>();
    all.add(r.head());
    all.addAll(r.body());
    return all;
  }

  /**
   * {@code copy} (Conv {@code original} renamed) computing only output channels {@code keep}; a
   * depthwise one ({@code depthwise}) reads only those channels too (group = their count).
   */
  private NodeProto sliceOutputs(
      NodeProto copy,
      NodeProto original,
      int[] keep,
      boolean depthwise,
      Namer namer,
      List<TensorProto> added) {
    TensorProto wt = constants.get(original.getInput(1));
    float[] w = Tensors.floats(wt);
    long[] dims = wt.getDimsList().stream().mapToLong(Long::longValue).toArray();
    int per = (int) (w.length / dims[0]);
    float[] sw = new float[keep.length * per];
    for (int i = 0; i < keep.length; i++) {
      System.arraycopy(w, keep[i] * per, sw, i * per, per);
    }
    long[] sdims = dims.clone();
    sdims[0] = keep.length;
    String label = copy.getName().replaceAll("[^A-Za-z0-9_./-]", "_");
    TensorProto swt = Tensors.floatTensor(namer.fresh(label + "_w"), sdims, sw);
    added.add(swt);
    NodeProto.Builder b = copy.toBuilder().setInput(1, swt.getName());
    if (original.getInputCount() > 2 && !original.getInput(2).isEmpty()) {
      float[] bias = Tensors.floats(constants.get(original.getInput(2)));
      float[] sb = new float[keep.length];
      for (int i = 0; i < keep.length; i++) {
        sb[i] = bias[keep[i]];
      }
      TensorProto sbt =
          Tensors.floatTensor(namer.fresh(label + "_b"), new long[] {keep.length}, sb);
      added.add(sbt);
      b.setInput(2, sbt.getName());
    }
    if (depthwise) {
      b.clearAttribute();
      for (var a : original.getAttributeList()) {
        b.addAttribute(a.getName().equals("group") ? OnnxGraphs.intAttr("group", keep.length) : a);
      }
    }
    return b.build();
  }

  /** Conv {@code n} with its weight's input channels taken in {@code order}. */
  private NodeProto permuteInputs(NodeProto n, int[] order, Namer namer, List<TensorProto> added) {
    TensorProto wt = constants.get(n.getInput(1));
    float[] w = Tensors.floats(wt);
    long[] dims = wt.getDimsList().stream().mapToLong(Long::longValue).toArray();
    int cin = (int) dims[1];
    int spatial = (int) (w.length / (dims[0] * cin));
    float[] pw = new float[w.length];
    for (int o = 0; o < dims[0]; o++) {
      for (int j = 0; j < cin; j++) {
        System.arraycopy(w, (o * cin + order[j]) * spatial, pw, (o * cin + j) * spatial, spatial);
      }
    }
    String label = OnnxGraphs.nodeLabel(n).replaceAll("[^A-Za-z0-9_./-]", "_");
    TensorProto pwt = Tensors.floatTensor(namer.fresh(label + "_reordered_w"), dims, pw);
    added.add(pwt);
    return n.toBuilder().setInput(1, pwt.getName()).build();
  }
}
