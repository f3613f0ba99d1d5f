package dev.modelfleet.onnx.delta;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes the delta that turns {@code base} into {@code target} (see {@link DeltaFormat}). Reads
 * both files mapped, one window at a time; holds one segment, one dictionary and one frame in
 * memory.
 */
public final class DeltaMaker {

  /** Fast match finding; the bytes a fine-tune leaves alone are found at any level. */
  private static final int LEVEL = 3;

  /**
   * Hash and chain tables large enough to index the whole dictionary: at level 3's defaults only
   * its last MB or so is indexed and the delta saves nothing.
   */
  private static final int TABLE_LOG = 22;

  private DeltaMaker() {}

  /** Returns the number of bytes written to {@code out}. */
  public static long make(Path base, Path target, OutputStream out) throws IOException {
    try (FileChannel baseFile = FileChannel.open(base, StandardOpenOption.READ);
        FileChannel targetFile = FileChannel.open(target, StandardOpenOption.READ)) {
      DeltaFormat.Header header =
          new DeltaFormat.Header(
              DeltaFormat.SEGMENT,
              DeltaFormat.DICT_BEFORE,
              DeltaFormat.DICT_AFTER,
              baseFile.size(),
              targetFile.size());
      CountingStream counted = new CountingStream(out);
      DataOutputStream data = new DataOutputStream(new BufferedOutputStream(counted, 1 << 16));
      header.write(data);
      for (long offset = 0; offset < header.targetSize(); offset += header.segment()) {
        int length = (int) Math.min(header.segment(), header.targetSize() - offset);
        byte[] segment = bytes(targetFile, offset, length);
        long dictStart = header.dictStart(offset);
        byte[] dictionary = bytes(baseFile, dictStart, (int) (header.dictEnd(offset) - dictStart));
        byte[] frame = compress(segment, dictionary);
        data.writeInt(frame.length);
        data.write(frame);
      }
      data.flush();
      return counted.count;
    }
  }

  private static byte[] compress(byte[] segment, byte[] dictionary) {
    try (ZstdCompressCtx ctx = new ZstdCompressCtx()) {
      ctx.setLevel(LEVEL);
      ctx.setChecksum(true);
      ctx.setContentSize(true);
      // the window spans dictionary and segment, so every byte of the dictionary can be matched
      ctx.setWindowLog(Math.max(Zstd.windowLogMin(), log2Ceil(dictionary.length + segment.length)));
      ctx.setHashLog(TABLE_LOG);
      ctx.setChainLog(TABLE_LOG);
      ctx.setEnableLongDistanceMatching(Zstd.ParamSwitch.ENABLE);
      if (dictionary.length > 0) {
        ctx.loadDict(dictionary);
      }
      return ctx.compress(segment);
    }
  }

  static int log2Ceil(long n) {
    return 64 - Long.numberOfLeadingZeros(Math.max(1, n - 1));
  }

  private static byte[] bytes(FileChannel file, long offset, int length) throws IOException {
    byte[] bytes = new byte[length];
    if (length > 0) {
      MappedByteBuffer mapped = file.map(FileChannel.MapMode.READ_ONLY, offset, length);
      mapped.get(bytes);
    }
    return bytes;
  }

  private static final class CountingStream extends java.io.FilterOutputStream {
    long count;

    CountingStream(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      count += len;
    }
  }
}
