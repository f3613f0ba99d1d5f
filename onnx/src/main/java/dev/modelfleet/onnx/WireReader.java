package dev.modelfleet.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import dev.modelfleet.onnx.UnsafeModelException.Reason;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Protobuf wire format read under {@link OnnxLimits}: every nested message goes through {@link
 * #message}, which counts depth; every field's wire type is checked before it is read; groups
 * (which ONNX never uses, and which a generic skipper would follow recursively) are refused; bytes
 * the reader does not need are skipped, never held.
 */
final class WireReader {

  /** Reads one nested message; the limit of the enclosing message is already pushed. */
  interface MessageReader<T> {
    T read(WireReader in) throws IOException, UnsafeModelException;
  }

  private final CodedInputStream in;
  private final OnnxLimits limits;
  private final List<String> path = new ArrayList<>();

  WireReader(CodedInputStream in, OnnxLimits limits) {
    this.in = in;
    this.limits = limits;
    in.setSizeLimit(Integer.MAX_VALUE);
    // Our own depth count applies first; this one only guards code we do not own.
    in.setRecursionLimit(limits.maxDepth() + 1);
  }

  OnnxLimits limits() {
    return limits;
  }

  /** The next tag of the current message, 0 at its end. */
  int tag() throws IOException {
    return in.readTag();
  }

  static int field(int tag) {
    return WireFormat.getTagFieldNumber(tag);
  }

  static int wireType(int tag) {
    return WireFormat.getTagWireType(tag);
  }

  static boolean isLengthDelimited(int tag) {
    return wireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED;
  }

  /**
   * Reads the length-delimited field {@code tag} as a message, one level deeper; {@code where}
   * names it in error messages ("node 3", "attribute 'then_branch'").
   */
  <T> T message(int tag, String where, MessageReader<T> reader)
      throws IOException, UnsafeModelException {
    expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED, where);
    if (path.size() >= limits.maxDepth()) {
      throw new UnsafeModelException(
          Reason.LIMIT_EXCEEDED,
          "the model nests deeper than " + limits.maxDepth() + " levels at " + location());
    }
    int length = in.readRawVarint32();
    if (length < 0) {
      throw malformed("a negative length at " + location());
    }
    int outer = in.pushLimit(length);
    path.add(where);
    T value = reader.read(this);
    path.remove(path.size() - 1);
    in.checkLastTagWas(0);
    in.popLimit(outer);
    return value;
  }

  /** Renames the innermost message once its name is known (names follow data in the wire). */
  void name(String where) {
    path.set(path.size() - 1, where);
  }

  String string(int tag, String what) throws IOException, UnsafeModelException {
    expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED, what);
    int length = in.readRawVarint32();
    if (length < 0 || length > limits.maxNameBytes()) {
      throw new UnsafeModelException(
          Reason.LIMIT_EXCEEDED,
          "a "
              + what
              + " of "
              + length
              + " bytes at "
              + location()
              + " is longer than "
              + limits.maxNameBytes());
    }
    return new String(in.readRawBytes(length), StandardCharsets.UTF_8);
  }

  long varint(int tag, String what) throws IOException, UnsafeModelException {
    expect(tag, WireFormat.WIRETYPE_VARINT, what);
    return in.readInt64();
  }

  /** Skips a bytes field and returns its length. */
  long skipBytes(int tag, String what) throws IOException, UnsafeModelException {
    expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED, what);
    int length = in.readRawVarint32();
    if (length < 0) {
      throw malformed("a negative length at " + location());
    }
    in.skipRawBytes(length);
    return length;
  }

  /**
   * Counts the values of a repeated scalar field, packed (one length-delimited run) or not (one tag
   * per value); {@code fixedWidth} is 4 or 8 for fixed32/fixed64 types, 0 for varints.
   */
  long countRepeated(int tag, int fixedWidth, String what)
      throws IOException, UnsafeModelException {
    int type = wireType(tag);
    if (type == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
      int length = in.readRawVarint32();
      if (length < 0) {
        throw malformed("a negative length at " + location());
      }
      if (fixedWidth > 0) {
        if (length % fixedWidth != 0) {
          throw malformed(
              "packed "
                  + what
                  + " of "
                  + length
                  + " bytes is not a whole number of "
                  + fixedWidth
                  + "-byte values at "
                  + location());
        }
        in.skipRawBytes(length);
        return length / fixedWidth;
      }
      int outer = in.pushLimit(length);
      long count = 0;
      while (in.getBytesUntilLimit() > 0) {
        in.readRawVarint64();
        count++;
      }
      in.popLimit(outer);
      return count;
    }
    int expected =
        fixedWidth == 4
            ? WireFormat.WIRETYPE_FIXED32
            : fixedWidth == 8 ? WireFormat.WIRETYPE_FIXED64 : WireFormat.WIRETYPE_VARINT;
    expect(tag, expected, what);
    skip(tag);
    return 1;
  }

  /** Reads a repeated int64 field (packed or not), appending to {@code into}. */
  void int64s(int tag, LongList into, long maxValues, String what)
      throws IOException, UnsafeModelException {
    if (wireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
      int length = in.readRawVarint32();
      if (length < 0) {
        throw malformed("a negative length at " + location());
      }
      int outer = in.pushLimit(length);
      while (in.getBytesUntilLimit() > 0) {
        into.add(in.readInt64(), maxValues, what, this);
      }
      in.popLimit(outer);
    } else {
      into.add(varint(tag, what), maxValues, what, this);
    }
  }

  /** Reads a bytes field of little-endian int64 values, in chunks, appending to {@code into}. */
  long rawInt64s(int tag, LongList into, long maxValues, String what)
      throws IOException, UnsafeModelException {
    expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED, what);
    int length = in.readRawVarint32();
    if (length < 0) {
      throw malformed("a negative length at " + location());
    }
    if (length % Long.BYTES != 0) {
      in.skipRawBytes(length);
      return length; // the size check of the tensor reports it
    }
    for (int left = length; left > 0; left -= Long.BYTES) {
      into.add(in.readRawLittleEndian64(), maxValues, what, this);
    }
    return length;
  }

  /** Skips any field ONNX defines as a scalar, string, bytes or message; refuses groups. */
  void skip(int tag) throws IOException, UnsafeModelException {
    switch (wireType(tag)) {
      case WireFormat.WIRETYPE_VARINT -> in.readRawVarint64();
      case WireFormat.WIRETYPE_FIXED64 -> in.skipRawBytes(8);
      case WireFormat.WIRETYPE_FIXED32 -> in.skipRawBytes(4);
      case WireFormat.WIRETYPE_LENGTH_DELIMITED -> {
        int length = in.readRawVarint32();
        if (length < 0) {
          throw malformed("a negative length at " + location());
        }
        in.skipRawBytes(length);
      }
      default ->
          throw malformed(
              "field "
                  + field(tag)
                  + " has wire type "
                  + wireType(tag)
                  + " (a protobuf group), which ONNX does not use, at "
                  + location());
    }
  }

  private void expect(int tag, int wireType, String what) throws UnsafeModelException {
    if (wireType(tag) != wireType) {
      throw malformed(
          what
              + " (field "
              + field(tag)
              + ") has wire type "
              + wireType(tag)
              + ", expected "
              + wireType
              + ", at "
              + location());
    }
  }

  UnsafeModelException malformed(String message) {
    return new UnsafeModelException(Reason.MALFORMED, message);
  }

  /** Where the reader is, outermost first: "graph 'main' > node 'If_3' > attribute ...". */
  String location() {
    return path.isEmpty() ? "the model" : String.join(" > ", path);
  }

  /** A growable long array that refuses to pass a bound. */
  static final class LongList {
    private long[] values = new long[16];
    private int size;

    void add(long value, long max, String what, WireReader in) throws UnsafeModelException {
      if (size >= max) {
        throw new UnsafeModelException(
            Reason.LIMIT_EXCEEDED, "more than " + max + " " + what + " at " + in.location());
      }
      if (size == values.length) {
        values =
            java.util.Arrays.copyOf(
                values, (int) Math.min(Integer.MAX_VALUE - 8, (long) values.length * 2));
      }
      values[size++] = value;
    }

    int size() {
      return size;
    }

    long get(int i) {
      return values[i];
    }
  }
}
