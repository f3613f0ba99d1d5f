package dev.modelfleet.onnx;

import java.nio.file.Path;

/**
 * A model that passed {@link OnnxModelReader}'s safety check: the only thing {@link SafeSessions}
 * opens, so that no path to ONNX Runtime can skip the check. Made only by the reader; holds the
 * file or the bytes that were checked, and the graph summary when it was asked for.
 */
public final class CheckedModel {

  private final Path file;
  private final byte[] bytes;
  private final OnnxGraph graph;

  CheckedModel(Path file, byte[] bytes, OnnxGraph graph) {
    this.file = file;
    this.bytes = bytes;
    this.graph = graph;
  }

  /** The main graph's summary; only for models read with {@link OnnxModelReader#read}. */
  public OnnxGraph graph() {
    if (graph == null) {
      throw new IllegalStateException(
          "checked without keeping the graph; use OnnxModelReader.read");
    }
    return graph;
  }

  Path file() {
    return file;
  }

  byte[] bytes() {
    return bytes;
  }
}
