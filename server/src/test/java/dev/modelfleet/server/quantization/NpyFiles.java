package dev.modelfleet.server.quantization;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Writes .npy and .npz files as NumPy does (header padded to 64 bytes), and hostile variants. */
final class NpyFiles {

  private NpyFiles() {}

  /** NumPy's header dict for a C-order array, e.g. {'descr': '<f4', ..., 'shape': (3, 16), }. */
  static String dict(String descr, boolean fortran, long... shape) {
    String dims =
        shape.length == 1
            ? shape[0] + ","
            : Arrays.stream(shape).mapToObj(Long::toString).collect(Collectors.joining(", "));
    return "{'descr': '"
        + descr
        + "', 'fortran_order': "
        + (fortran ? "True" : "False")
        + ", 'shape': ("
        + dims
        + "), }";
  }

  /** Magic, version 1, the header padded with spaces and a newline to a multiple of 64. */
  static byte[] header(String dict) {
    int unpadded = 10 + dict.length() + 1;
    String padded = dict + " ".repeat((64 - unpadded % 64) % 64) + "\n";
    byte[] text = padded.getBytes(StandardCharsets.ISO_8859_1);
    ByteBuffer b = ByteBuffer.allocate(10 + text.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII));
    b.put((byte) 1).put((byte) 0).putShort((short) text.length).put(text);
    return b.array();
  }

  static byte[] floats(float[] data, long... shape) {
    ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : data) {
      b.putFloat(f);
    }
    return concat(header(dict("<f4", false, shape)), b.array());
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /** An .npz as numpy.savez writes it: one {@code <name>.npy} entry per array. */
  static byte[] npz(Map<String, byte[]> arrays) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(out)) {
      for (Map.Entry<String, byte[]> e : arrays.entrySet()) {
        zip.putNextEntry(new ZipEntry(e.getKey()));
        zip.write(e.getValue());
        zip.closeEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  static byte[] resource(String name) {
    try (InputStream in = NpyFiles.class.getResourceAsStream("/npy/" + name)) {
      if (in == null) {
        throw new IllegalStateException("no test resource /npy/" + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A .npy of {@code header} followed by {@code dataBytes} zero bytes, generated as it is read, so
   * that a test streams a large file without holding it.
   */
  static InputStream streamed(byte[] header, long dataBytes) {
    return new InputStream() {
      private long pos;
      private final long size = header.length + dataBytes;

      @Override
      public int read() {
        if (pos >= size) {
          return -1;
        }
        return pos < header.length ? header[(int) pos++] & 0xff : zero();
      }

      private int zero() {
        pos++;
        return 0;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (pos >= size) {
          return -1;
        }
        int n = (int) Math.min(len, size - pos);
        for (int i = 0; i < n; i++) {
          b[off + i] = pos < header.length ? header[(int) pos] : 0;
          pos++;
        }
        return n;
      }
    };
  }
}
