package dev.modelfleet.server.quantization;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The header of a NumPy {@code .npy} array: the magic, a version, then a Python dict literal such
 * as {@code {'descr': '<f4', 'fortran_order': False, 'shape': (16, 3, 320, 320), }}. NumPy reads
 * that literal with {@code ast.literal_eval}; this reads exactly the three keys NumPy writes, each
 * once, with the only value forms NumPy writes for a plain array (a dtype string, a boolean, a
 * tuple of integers), and refuses anything else. A structured or object dtype ({@code 'O'}, the
 * pickled form) is never read, and nothing in the header can make the reader recurse or allocate
 * more than {@link #MAX_HEADER_BYTES}.
 */
record NpyHeader(NpyDtype dtype, long[] shape, long elements) {

  static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

  /** NumPy itself refuses headers above 10,000 bytes; what it writes is well under 200. */
  static final int MAX_HEADER_BYTES = 4096;

  /** A sample set is at most [samples, batch, channels, height, width, ...]. */
  static final int MAX_RANK = 8;

  long dataBytes() {
    return elements * dtype.size();
  }

  /**
   * Reads the magic, version and header from {@code in}, leaving it at the first data byte. {@code
   * maxElements}: the most elements the array may declare.
   */
  static NpyHeader read(InputStream in, String what, long maxElements) throws IOException {
    byte[] magic = readFully(in, 8, what);
    if (!Arrays.equals(Arrays.copyOf(magic, 6), MAGIC)) {
      throw SampleFileException.invalid(
          what + " is not a NumPy .npy array (it does not start with \\x93NUMPY)");
    }
    int major = magic[6] & 0xff;
    int length;
    if (major == 1) {
      byte[] len = readFully(in, 2, what);
      length = (len[0] & 0xff) | (len[1] & 0xff) << 8;
    } else if (major == 2 || major == 3) {
      byte[] len = readFully(in, 4, what);
      long l =
          (len[0] & 0xffL)
              | (len[1] & 0xffL) << 8
              | (len[2] & 0xffL) << 16
              | (len[3] & 0xffL) << 24;
      if (l > MAX_HEADER_BYTES) {
        throw headerTooLong(what, l);
      }
      length = (int) l;
    } else {
      throw SampleFileException.invalid(
          what + " is .npy format version " + major + "; the server reads versions 1 to 3");
    }
    if (length > MAX_HEADER_BYTES) {
      throw headerTooLong(what, length);
    }
    byte[] header = readFully(in, length, what);
    for (byte b : header) {
      if (b < 0) {
        throw SampleFileException.invalid(what + " has a header that is not ASCII");
      }
    }
    return new Parser(new String(header, StandardCharsets.US_ASCII), what).parse(maxElements);
  }

  private static SampleFileException headerTooLong(String what, long length) {
    return SampleFileException.invalid(
        what + " declares a header of " + length + " bytes; the limit is " + MAX_HEADER_BYTES);
  }

  static byte[] readFully(InputStream in, int n, String what) throws IOException {
    byte[] b = in.readNBytes(n);
    if (b.length < n) {
      throw SampleFileException.invalid(what + " is truncated in its header");
    }
    return b;
  }

  /** A recursive-descent reader of the one dict shape; no nesting beyond the shape tuple. */
  private static final class Parser {
    private final String text;
    private final String what;
    private int pos;

    Parser(String text, String what) {
      this.text = text;
      this.what = what;
    }

    NpyHeader parse(long maxElements) {
      NpyDtype dtype = null;
      Boolean fortran = null;
      long[] shape = null;
      Set<String> seen = new HashSet<>();
      space();
      expect('{');
      space();
      while (peek() != '}') {
        String key = string();
        if (!seen.add(key)) {
          throw bad("names '" + printable(key) + "' twice");
        }
        space();
        expect(':');
        space();
        switch (key) {
          case "descr" -> dtype = descr();
          case "fortran_order" -> fortran = bool();
          case "shape" -> shape = shape();
          default ->
              throw bad(
                  "has the key '"
                      + printable(key)
                      + "'; a .npy header has only"
                      + " descr, fortran_order and shape");
        }
        space();
        if (peek() == ',') {
          pos++;
          space();
        } else if (peek() != '}') {
          throw bad("is not a dict literal (expected ',' or '}' at " + pos + ")");
        }
      }
      pos++;
      // NumPy pads with spaces and ends the header with a newline
      while (pos < text.length()) {
        char c = text.charAt(pos++);
        if (c != ' ' && c != '\n' && c != '\t' && c != '\r' && c != 0) {
          throw bad("has text after the dict");
        }
      }
      if (dtype == null || fortran == null || shape == null) {
        throw bad(
            "lacks " + (dtype == null ? "descr" : fortran == null ? "fortran_order" : "shape"));
      }
      if (fortran) {
        throw SampleFileException.invalid(
            what
                + " is in Fortran (column-major) order; save it in C order"
                + " (numpy.ascontiguousarray) before uploading");
      }
      long elements = 1;
      for (long d : shape) {
        if (d > maxElements || (elements = elements * d) > maxElements) {
          throw SampleFileException.tooLarge(
              what
                  + " declares shape "
                  + Arrays.toString(shape)
                  + ", above the limit of "
                  + maxElements
                  + " elements");
        }
      }
      return new NpyHeader(dtype, shape, elements);
    }

    private NpyDtype descr() {
      if (peek() == '[') {
        throw SampleFileException.invalid(
            what + " holds a structured array; send one plain numeric array per input");
      }
      String d = string();
      return NpyDtype.parse(d)
          .orElseThrow(
              () ->
                  SampleFileException.invalid(
                      what
                          + " holds dtype '"
                          + printable(d)
                          + "'"
                          + (d.contains("O") ? " (Python objects, which are pickled)" : "")
                          + "; the server reads little-endian float32, float16, int64, int32 and"
                          + " uint8"));
    }

    private boolean bool() {
      if (text.startsWith("False", pos)) {
        pos += 5;
        return false;
      }
      if (text.startsWith("True", pos)) {
        pos += 4;
        return true;
      }
      throw bad("has a fortran_order that is neither True nor False");
    }

    private long[] shape() {
      expect('(');
      List<Long> dims = new ArrayList<>();
      space();
      while (peek() != ')') {
        int start = pos;
        while (pos < text.length() && Character.isDigit(text.charAt(pos)) && pos - start < 18) {
          pos++;
        }
        if (pos == start || (pos < text.length() && Character.isDigit(text.charAt(pos)))) {
          throw bad("has a shape that is not a tuple of sizes below 10^18");
        }
        dims.add(Long.parseLong(text.substring(start, pos)));
        if (dims.size() > MAX_RANK) {
          throw SampleFileException.invalid(what + " has more than " + MAX_RANK + " dimensions");
        }
        space();
        if (peek() == ',') {
          pos++;
          space();
        } else if (peek() != ')') {
          throw bad("has a shape that is not a tuple of sizes");
        }
      }
      pos++;
      return dims.stream().mapToLong(Long::longValue).toArray();
    }

    private String string() {
      char quote = peek();
      if (quote != '\'' && quote != '"') {
        throw bad("is not a dict literal of quoted keys (at " + pos + ")");
      }
      int end = text.indexOf(quote, pos + 1);
      if (end < 0) {
        throw bad("has an unterminated string");
      }
      String s = text.substring(pos + 1, end);
      if (s.indexOf('\\') >= 0 || s.length() > 64) {
        throw bad("has a string NumPy would not write");
      }
      pos = end + 1;
      return s;
    }

    private void space() {
      while (pos < text.length() && text.charAt(pos) == ' ') {
        pos++;
      }
    }

    private char peek() {
      if (pos >= text.length()) {
        throw bad("ends before its dict does");
      }
      return text.charAt(pos);
    }

    private void expect(char c) {
      if (peek() != c) {
        throw bad("is not a dict literal (expected '" + c + "' at " + pos + ")");
      }
      pos++;
    }

    private SampleFileException bad(String why) {
      return SampleFileException.invalid(what + "'s .npy header " + why);
    }

    private static String printable(String s) {
      return s.replaceAll("[^\\x20-\\x7e]", "?");
    }
  }

  /** An .npy holds nothing after its data: bytes there mean the shape in the header is wrong. */
  static void requireEnd(InputStream in, String what) throws IOException {
    if (in.read() != -1) {
      throw SampleFileException.invalid(what + " has bytes after its array's data");
    }
  }
}
