package dev.modelfleet.onnx.delta;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdDictDecompress;
import com.github.luben.zstd.ZstdException;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Rebuilds the target from a base file and a delta (see {@link DeltaFormat}), streaming: one frame
 * and one segment in memory at a time, the base's window mapped rather than read. The delta is
 * hostile input until the caller has checked the result's sha256: every length it declares is
 * bounded, and a frame must decode to exactly its segment (zstd's own checksum covers each frame).
 */
public final class DeltaApplier {

  private DeltaApplier() {}

  /** Writes the target to {@code out}; returns its size. */
  public static long apply(Path base, InputStream delta, OutputStream out) throws IOException {
    DataInputStream in = new DataInputStream(new BufferedInputStream(delta, 1 << 16));
    try (FileChannel baseFile = FileChannel.open(base, StandardOpenOption.READ)) {
      DeltaFormat.Header header;
      try {
        header = DeltaFormat.Header.read(in);
      } catch (EOFException e) {
        throw new DeltaException("the delta ends inside its header", e);
      }
      if (header.baseSize() != baseFile.size()) {
        throw new DeltaException(
            "the delta was made from a base of "
                + header.baseSize()
                + " bytes, the base here has "
                + baseFile.size());
      }
      long maxFrame = Zstd.compressBound(header.segment());
      long written = 0;
      for (long offset = 0; offset < header.targetSize(); offset += header.segment()) {
        int length = (int) Math.min(header.segment(), header.targetSize() - offset);
        byte[] frame = readFrame(in, maxFrame);
        out.write(decode(baseFile, header, offset, frame, length));
        written += length;
      }
      if (in.read() != -1) {
        throw new DeltaException("the delta has bytes after its last frame");
      }
      return written;
    }
  }

  private static byte[] readFrame(DataInputStream in, long maxFrame) throws IOException {
    try {
      int length = in.readInt();
      if (length <= 0 || length > maxFrame) {
        throw new DeltaException("a frame of the delta declares " + length + " bytes");
      }
      byte[] frame = new byte[length];
      in.readFully(frame);
      return frame;
    } catch (EOFException e) {
      throw new DeltaException("the delta is truncated", e);
    }
  }

  private static byte[] decode(
      FileChannel baseFile, DeltaFormat.Header header, long offset, byte[] frame, int length)
      throws IOException {
    long start = header.dictStart(offset);
    long end = header.dictEnd(offset);
    try (ZstdDecompressCtx ctx = new ZstdDecompressCtx()) {
      ZstdDictDecompress dictionary = null;
      if (end > start) {
        // mapped and referenced, not copied: the base's pages stay in the page cache
        ByteBuffer window = baseFile.map(FileChannel.MapMode.READ_ONLY, start, end - start);
        dictionary = new ZstdDictDecompress(window, true);
        ctx.loadDict(dictionary);
      }
      try {
        if (Zstd.getFrameContentSize(frame) != length) {
          throw new DeltaException(
              "a frame of the delta decodes to "
                  + Zstd.getFrameContentSize(frame)
                  + " bytes, not "
                  + length);
        }
        byte[] segment = ctx.decompress(frame, length);
        if (segment.length != length) {
          throw new DeltaException("a frame of the delta decoded to " + segment.length + " bytes");
        }
        return segment;
      } catch (ZstdException e) {
        throw new DeltaException("a frame of the delta does not decode: " + e.getMessage(), e);
      } finally {
        if (dictionary != null) {
          dictionary.close();
        }
      }
    }
  }
}
