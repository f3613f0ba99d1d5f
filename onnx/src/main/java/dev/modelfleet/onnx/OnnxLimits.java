package dev.modelfleet.onnx;

/**
 * What reading one model file may cost at most. A model past any bound is refused as {@link
 * UnsafeModelException.Reason#LIMIT_EXCEEDED}, so a crafted file can make the reader neither
 * recurse without end, nor hold more than a bounded number of names, nor allocate more than the
 * file's own size in summaries.
 *
 * @param maxFileBytes a protobuf message cannot exceed 2 GiB; larger models keep their weights in
 *     external files, which are refused until signed multi-file packages exist
 * @param maxDepth nested messages (model, graph, node, attribute, subgraph, ...); each level of
 *     If/Loop/Scan body costs three
 * @param maxNodes nodes in all graphs and functions together
 * @param maxTensors tensors (initializers, tensor attributes, sparse parts) in all graphs
 * @param maxNameBytes the longest name, op type or domain the reader keeps in memory
 * @param maxSparseIndexBytes the largest sparse-tensor index array read to check its bounds
 */
public record OnnxLimits(
    long maxFileBytes,
    int maxDepth,
    int maxNodes,
    int maxTensors,
    int maxNameBytes,
    long maxSparseIndexBytes) {

  /** Generous for every real model we know, from a 200-byte classifier to a 2 GB transformer. */
  public static final OnnxLimits DEFAULT =
      new OnnxLimits(Integer.MAX_VALUE, 64, 4_000_000, 4_000_000, 64 * 1024, 64L << 20);
}
