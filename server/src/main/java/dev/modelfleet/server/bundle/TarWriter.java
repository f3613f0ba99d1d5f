package dev.modelfleet.server.bundle;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes a POSIX ustar archive, one entry after the other, without holding any entry in memory: the
 * bundle format (docs/security.md, "Offline bundles") is a plain tar so that people on site can
 * list it with {@code tar tvf}. Entry names are short ASCII paths chosen by the server.
 */
final class TarWriter {

  static final int BLOCK = 512;

  private final OutputStream out;

  TarWriter(OutputStream out) {
    this.out = out;
  }

  /** The archive's size for entries of these sizes: headers, padded bodies, two end blocks. */
  static long archiveSize(Iterable<Long> entrySizes) {
    long total = 2L * BLOCK;
    for (long size : entrySizes) {
      total += BLOCK + padded(size);
    }
    return total;
  }

  static long padded(long size) {
    return (size + BLOCK - 1) / BLOCK * BLOCK;
  }

  void entry(String name, byte[] content) throws IOException {
    header(name, content.length);
    out.write(content);
    pad(content.length);
  }

  /**
   * Copies exactly {@code size} bytes of {@code body}; fewer is an error (the store lost bytes).
   */
  void entry(String name, long size, InputStream body) throws IOException {
    header(name, size);
    byte[] buffer = new byte[64 * 1024];
    long left = size;
    while (left > 0) {
      int n = body.read(buffer, 0, (int) Math.min(buffer.length, left));
      if (n < 0) {
        throw new IOException("entry " + name + " ended " + left + " bytes short");
      }
      out.write(buffer, 0, n);
      left -= n;
    }
    pad(size);
  }

  void finish() throws IOException {
    out.write(new byte[2 * BLOCK]);
    out.flush();
  }

  private void pad(long size) throws IOException {
    int rest = (int) (padded(size) - size);
    if (rest > 0) {
      out.write(new byte[rest]);
    }
  }

  private void header(String name, long size) throws IOException {
    byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
    if (nameBytes.length > 100) {
      throw new IllegalArgumentException("tar entry name too long: " + name);
    }
    byte[] h = new byte[BLOCK];
    System.arraycopy(nameBytes, 0, h, 0, nameBytes.length);
    octal(h, 100, 8, 0644);
    octal(h, 108, 8, 0);
    octal(h, 116, 8, 0);
    octal(h, 124, 12, size);
    octal(h, 136, 12, System.currentTimeMillis() / 1000);
    for (int i = 148; i < 156; i++) {
      h[i] = ' ';
    }
    h[156] = '0';
    byte[] magic = "ustar\u000000".getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(magic, 0, h, 257, magic.length);
    long sum = 0;
    for (byte b : h) {
      sum += b & 0xff;
    }
    octal(h, 148, 7, sum);
    h[155] = ' ';
    out.write(h);
  }

  /** Zero-padded octal, NUL-terminated, in a field of {@code width} bytes. */
  private static void octal(byte[] h, int offset, int width, long value) {
    String digits = Long.toOctalString(value);
    if (digits.length() > width - 1) {
      throw new IllegalArgumentException("value " + value + " does not fit a tar field");
    }
    String field = "0".repeat(width - 1 - digits.length()) + digits;
    System.arraycopy(field.getBytes(StandardCharsets.US_ASCII), 0, h, offset, width - 1);
    h[offset + width - 1] = 0;
  }
}
