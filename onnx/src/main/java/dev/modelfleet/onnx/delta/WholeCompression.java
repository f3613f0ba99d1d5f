package dev.modelfleet.onnx.delta;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An artifact compressed whole for the wire: one standard zstd frame (what {@code zstd -d} reads),
 * a delta with no base. fp32 weights shrank by 7-20 % in what was measured; random-looking int8 not
 * at all, which is why the server measures each artifact and keeps the copy only when it pays.
 *
 * <p>The window is capped at {@link #WINDOW_LOG} on both sides, so a device decompresses with a few
 * MB whatever the artifact's size, and a frame asking for more is refused rather than obeyed.
 */
public final class WholeCompression {

  /** The encoding's name in desired states and on the server. */
  public static final String ENCODING = "zstd";

  /** 8 MB: enough for weights (they repeat locally if at all), small for a device. */
  public static final int WINDOW_LOG = 23;

  /** Slow-ish on the server once per variant, as fast as any level to decompress on the device. */
  public static final int LEVEL = 9;

  private WholeCompression() {}

  /** Compresses {@code artifact} into {@code out}; returns the bytes written. */
  public static long compress(Path artifact, OutputStream out) throws IOException {
    Counting counted = new Counting(out);
    try (InputStream in = Files.newInputStream(artifact);
        ZstdOutputStreamNoFinalizer zstd = new ZstdOutputStreamNoFinalizer(counted)) {
      zstd.setLevel(LEVEL);
      zstd.setWindowLog(WINDOW_LOG);
      zstd.setChecksum(true);
      in.transferTo(zstd);
    }
    return counted.count;
  }

  /**
   * Decompresses {@code compressed} into {@code out}, streaming; returns the bytes written. The
   * input is hostile until the caller has checked the result's sha256: more than {@code maxBytes}
   * out (the signed size) stops it with a {@link DeltaException}, so a small file cannot fill the
   * disk.
   */
  public static long decompress(InputStream compressed, OutputStream out, long maxBytes)
      throws IOException {
    long written = 0;
    byte[] buffer = new byte[1 << 16];
    try (ZstdInputStreamNoFinalizer zstd =
        new ZstdInputStreamNoFinalizer(new BufferedInputStream(compressed, 1 << 16))) {
      zstd.setLongMax(WINDOW_LOG);
      int n;
      while ((n = zstd.read(buffer)) > 0) {
        written += n;
        if (written > maxBytes) {
          throw new DeltaException(
              "the compressed artifact decompresses to more than the signed "
                  + maxBytes
                  + " bytes");
        }
        out.write(buffer, 0, n);
      }
    } catch (DeltaException e) {
      throw e;
    } catch (IOException e) {
      throw new DeltaException("the compressed artifact is not valid zstd: " + e.getMessage(), e);
    }
    return written;
  }

  private static final class Counting extends java.io.FilterOutputStream {
    long count;

    Counting(OutputStream out) {
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

    @Override
    public void close() throws IOException {
      flush(); // the caller owns the stream
    }
  }
}
