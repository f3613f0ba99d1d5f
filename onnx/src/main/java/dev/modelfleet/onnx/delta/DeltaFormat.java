package dev.modelfleet.onnx.delta;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * The layout of a model delta: the target cut into segments, each one zstd frame compressed with a
 * window of the base around the same offset as its dictionary ({@code zstd --patch-from}, in
 * pieces).
 *
 * <p>Why pieces and not one frame with the whole base as prefix: zstd-jni exposes no {@code
 * refPrefix}, and a dictionary loaded whole stops working past a few tens of MB (measured: a 24 MB
 * dictionary at level 3 saved nothing until hash and chain logs were raised; see
 * docs/benchmarks.md). Pieces keep every dictionary small, so the device needs a bounded amount of
 * memory whatever the model's size: one segment, its frame and a mapped window of the base. A
 * fine-tuned model keeps its layout (same tensors, same order), so the bytes of a segment are found
 * near the same offset in the base; a shift of up to one segment is still matched.
 *
 * <pre>
 * int  magic "MFD1"
 * int  segment size (bytes of the target per frame)
 * int  base bytes before a segment's offset in its dictionary
 * int  base bytes after a segment's offset in its dictionary
 * long base size, long target size
 * then per segment: int frame length, the zstd frame (content size and checksum set)
 * </pre>
 */
public final class DeltaFormat {

  static final int MAGIC = 0x4D464431;

  /** Bytes of the target per frame. */
  public static final int SEGMENT = 8 << 20;

  static final int DICT_BEFORE = SEGMENT;
  static final int DICT_AFTER = 2 * SEGMENT;

  /** Largest segment or dictionary side a delta may declare: a hostile header allocates no more. */
  static final int MAX_PART = 64 << 20;

  private DeltaFormat() {}

  record Header(int segment, int before, int after, long baseSize, long targetSize) {

    long segments() {
      return (targetSize + segment - 1) / segment;
    }

    long dictStart(long offset) {
      return Math.max(0, offset - before);
    }

    long dictEnd(long offset) {
      return Math.min(baseSize, offset + after);
    }

    void write(DataOutputStream out) throws IOException {
      out.writeInt(MAGIC);
      out.writeInt(segment);
      out.writeInt(before);
      out.writeInt(after);
      out.writeLong(baseSize);
      out.writeLong(targetSize);
    }

    static Header read(DataInputStream in) throws IOException {
      if (in.readInt() != MAGIC) {
        throw new DeltaException("not a model delta (wrong magic)");
      }
      Header header =
          new Header(in.readInt(), in.readInt(), in.readInt(), in.readLong(), in.readLong());
      if (header.segment <= 0
          || header.segment > MAX_PART
          || header.before < 0
          || header.before > MAX_PART
          || header.after < 0
          || header.after > MAX_PART
          || header.baseSize < 0
          || header.targetSize < 0) {
        throw new DeltaException("the delta's header is out of bounds: " + header);
      }
      return header;
    }
  }
}
