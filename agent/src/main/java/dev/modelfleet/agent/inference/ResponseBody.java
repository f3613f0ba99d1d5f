package dev.modelfleet.agent.inference;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * An answer's body on the connection's buffered stream, framed as its headers said. Closing it ends
 * the body, not the connection; the server flushes once the exchange is complete, so headers and a
 * small body leave in one write.
 */
abstract class ResponseBody extends OutputStream {

  protected final OutputStream out;
  protected boolean closed;

  private ResponseBody(OutputStream out) {
    this.out = out;
  }

  @Override
  public final void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void flush() throws IOException {
    out.flush();
  }

  @Override
  public void close() throws IOException {
    closed = true;
  }

  /** Ends the body if the handler did not; false when it was left short of its framing. */
  abstract boolean finish() throws IOException;

  protected final void open() throws IOException {
    if (closed) {
      throw new IOException("the response body was closed");
    }
  }

  /** Content-Length framing: exactly that many bytes. */
  static final class Fixed extends ResponseBody {
    private long left;

    Fixed(OutputStream out, long length) {
      super(out);
      this.left = length;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      open();
      if (len > left) {
        throw new IOException("more bytes than the Content-Length announced");
      }
      out.write(b, off, len);
      left -= len;
    }

    @Override
    boolean finish() {
      closed = true;
      return left == 0;
    }
  }

  /** Chunked transfer coding: one chunk per write, the last chunk on finish. */
  static final class Chunked extends ResponseBody {
    Chunked(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      open();
      if (len == 0) {
        return; // an empty chunk would end the body
      }
      out.write((Integer.toHexString(len) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(b, off, len);
      out.write('\r');
      out.write('\n');
    }

    @Override
    public void close() throws IOException {
      finish();
    }

    @Override
    boolean finish() throws IOException {
      if (!closed) {
        closed = true;
        out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      }
      return true;
    }
  }

  /** HTTP/1.0 with no length: the body runs until the connection closes. */
  static final class Open extends ResponseBody {
    Open(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      open();
      out.write(b, off, len);
    }

    @Override
    boolean finish() {
      closed = true;
      return true;
    }
  }
}
