package dev.modelfleet.agent.bundle;

import dev.modelfleet.agent.trust.VerificationException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads a ustar archive one entry at a time from a stream, holding no entry in memory. A bundle is
 * hostile input until its index verified: only regular files with short relative names, sizes the
 * header's checksum covers, and a clear "truncated" when the stream ends inside a header or body.
 */
final class TarReader {

  static final String TRUNCATED = "bundle-truncated";
  static final String MALFORMED = "bundle-malformed";

  private static final int BLOCK = 512;

  /** One entry's header. */
  record Entry(String name, long size) {}

  private final InputStream in;
  private long bodyLeft;
  private long padLeft;

  TarReader(InputStream in) {
    this.in = in;
  }

  /** The next entry, or null at the end-of-archive marker (two zero blocks). */
  Entry next() throws IOException, VerificationException {
    skipRestOfBody();
    byte[] h = readFully(new byte[BLOCK], "an entry header");
    if (allZero(h)) {
      // the end-of-archive marker is two zero blocks: one alone is a file cut short there
      if (!allZero(readFully(new byte[BLOCK], "its end-of-archive marker"))) {
        throw new VerificationException(MALFORMED, "the bundle has data after a zero block");
      }
      return null;
    }
    long stored = octal(h, 148, 8);
    long sum = 0;
    for (int i = 0; i < BLOCK; i++) {
      sum += (i >= 148 && i < 156) ? ' ' : (h[i] & 0xff);
    }
    if (sum != stored) {
      throw new VerificationException(
          MALFORMED, "a tar header's checksum does not match; the bundle is damaged or not a tar");
    }
    String name = text(h, 0, 100);
    String prefix = text(h, 345, 155);
    if (!prefix.isEmpty()) {
      name = prefix + "/" + name;
    }
    byte type = h[156];
    if (type != '0' && type != 0) {
      throw new VerificationException(
          MALFORMED,
          "bundle entry '" + name + "' is not a regular file (tar type " + (char) type + ")");
    }
    if (name.startsWith("/") || name.contains("..") || name.contains("\\") || name.length() > 120) {
      throw new VerificationException(MALFORMED, "bundle entry name '" + name + "' is not allowed");
    }
    long size = octal(h, 124, 12);
    bodyLeft = size;
    padLeft = (BLOCK - size % BLOCK) % BLOCK;
    return new Entry(name, size);
  }

  /** The current entry's body; reading past it returns -1. */
  InputStream body() {
    return new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (bodyLeft == 0) {
          return -1;
        }
        int n = in.read(b, off, (int) Math.min(len, bodyLeft));
        if (n < 0) {
          throw new TruncatedException();
        }
        bodyLeft -= n;
        return n;
      }
    };
  }

  /** Thrown from a body stream that ends early; turned into a refusal by the caller. */
  static final class TruncatedException extends IOException {
    TruncatedException() {
      super("the bundle ends inside an entry");
    }
  }

  private void skipRestOfBody() throws IOException, VerificationException {
    byte[] buffer = new byte[64 * 1024];
    long left = bodyLeft + padLeft;
    while (left > 0) {
      int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
      if (n < 0) {
        throw new VerificationException(
            TRUNCATED, "the bundle ends inside an entry; it was cut short");
      }
      left -= n;
    }
    bodyLeft = 0;
    padLeft = 0;
  }

  private byte[] readFully(byte[] b, String what) throws IOException, VerificationException {
    int off = 0;
    while (off < b.length) {
      int n = in.read(b, off, b.length - off);
      if (n < 0) {
        throw new VerificationException(
            TRUNCATED, "the bundle ends inside " + what + "; it was cut short (copy it again)");
      }
      off += n;
    }
    return b;
  }

  private static boolean allZero(byte[] b) {
    for (byte x : b) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }

  private static String text(byte[] h, int off, int len) {
    int end = off;
    while (end < off + len && h[end] != 0) {
      end++;
    }
    return new String(h, off, end - off, StandardCharsets.US_ASCII);
  }

  private static long octal(byte[] h, int off, int len) throws VerificationException {
    String s = text(h, off, len).trim();
    try {
      long v = s.isEmpty() ? 0 : Long.parseLong(s, 8);
      if (v < 0) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw new VerificationException(MALFORMED, "a tar header field is not an octal number");
    }
  }
}
