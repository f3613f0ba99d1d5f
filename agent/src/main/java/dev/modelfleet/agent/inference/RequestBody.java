package dev.modelfleet.agent.inference;

import com.sun.net.httpserver.Headers;
import dev.modelfleet.agent.inference.LocalHttpExchange.Malformed;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Locale;

/**
 * A request's body on the connection's stream, framed as its headers say: it ends where the body
 * ends, never reading into the next request, and reports a client that closed early as an error.
 */
abstract class RequestBody extends InputStream {

  protected final InputStream in;
  private boolean closed;

  private RequestBody(InputStream in) {
    this.in = in;
  }

  /** The body the headers announce; throws Malformed for framing it must not guess at. */
  static RequestBody of(InputStream in, Headers headers) throws Malformed {
    List<String> encodings = headers.get("Transfer-Encoding");
    List<String> lengths = headers.get("Content-Length");
    if (encodings != null) {
      if (lengths != null) {
        throw new Malformed(400, "Content-Length and Transfer-Encoding together");
      }
      String coding = String.join(",", encodings).strip().toLowerCase(Locale.ROOT);
      if (!coding.equals("chunked")) {
        throw new Malformed(501, "transfer coding '" + coding + "' is not supported; use chunked");
      }
      return new Chunked(in);
    }
    if (lengths == null) {
      return new Fixed(in, 0);
    }
    long length = -1;
    for (String value : lengths) {
      for (String one : value.split(",", -1)) {
        long parsed = parseLength(one.strip());
        if (length >= 0 && parsed != length) {
          throw new Malformed(400, "conflicting Content-Length values");
        }
        length = parsed;
      }
    }
    return new Fixed(in, length);
  }

  private static long parseLength(String text) throws Malformed {
    if (text.isEmpty() || text.length() > 18 || !text.chars().allMatch(Character::isDigit)) {
      throw new Malformed(400, "Content-Length must be a number of bytes");
    }
    return Long.parseLong(text);
  }

  @Override
  public final int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public final int read(byte[] b, int off, int len) throws IOException {
    if (closed) {
      throw new IOException("the request body was closed");
    }
    if (len == 0) {
      return 0;
    }
    return readBody(b, off, len);
  }

  protected abstract int readBody(byte[] b, int off, int len) throws IOException;

  /** The handler closing the body does not close the connection; what is left is drained later. */
  @Override
  public void close() {
    closed = true;
  }

  /**
   * Reads what the handler left of the body, up to {@code limit} bytes; false when more was left
   * (or the body broke off), and the connection must then close.
   */
  final boolean drain(int limit) throws IOException {
    byte[] skip = new byte[8 << 10];
    long left = limit;
    while (left > 0) {
      int n = readBody(skip, 0, (int) Math.min(skip.length, left));
      if (n < 0) {
        return true;
      }
      left -= n;
    }
    return readBody(skip, 0, 1) < 0;
  }

  /** Content-Length framing. */
  private static final class Fixed extends RequestBody {
    private long left;

    Fixed(InputStream in, long length) {
      super(in);
      this.left = length;
    }

    @Override
    protected int readBody(byte[] b, int off, int len) throws IOException {
      if (left == 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n < 0) {
        throw new IOException("the client closed the connection " + left + " bytes short");
      }
      left -= n;
      return n;
    }

    @Override
    public int available() throws IOException {
      return (int) Math.min(left, in.available());
    }
  }

  /**
   * Chunked transfer coding (RFC 9112 7.1): chunk sizes in hex, extensions and trailers skipped.
   */
  private static final class Chunked extends RequestBody {
    private long chunkLeft;
    private boolean done;
    private final int[] budget = {LocalHttpExchange.MAX_HEADER_BYTES};

    Chunked(InputStream in) {
      super(in);
    }

    @Override
    protected int readBody(byte[] b, int off, int len) throws IOException {
      if (done) {
        return -1;
      }
      if (chunkLeft == 0) {
        chunkLeft = nextChunkSize();
        if (chunkLeft == 0) {
          skipTrailers();
          done = true;
          return -1;
        }
      }
      int n = in.read(b, off, (int) Math.min(len, chunkLeft));
      if (n < 0) {
        throw new IOException("the client closed the connection inside a chunk");
      }
      chunkLeft -= n;
      if (chunkLeft == 0) {
        int cr = in.read();
        if ((cr == '\r' ? in.read() : cr) != '\n') {
          throw new Malformed(400, "a chunk does not end with CRLF");
        }
      }
      return n;
    }

    private long nextChunkSize() throws IOException {
      String line = LocalHttpExchange.line(in, 1024, budget);
      if (line == null) {
        throw new IOException("the client closed the connection before the last chunk");
      }
      int semicolon = line.indexOf(';');
      String hex = (semicolon < 0 ? line : line.substring(0, semicolon)).strip();
      if (hex.isEmpty()
          || hex.length() > 15
          || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
        throw new Malformed(400, "malformed chunk size");
      }
      return Long.parseLong(hex, 16);
    }

    private void skipTrailers() throws IOException {
      for (String line; (line = LocalHttpExchange.line(in, 8 << 10, budget)) != null; ) {
        if (line.isEmpty()) {
          return;
        }
      }
      throw new IOException("the client closed the connection in the trailers");
    }
  }
}
