package dev.modelfleet.cli.progress;

import dev.modelfleet.cli.output.Terminal;
import dev.modelfleet.cli.output.Text;
import java.io.PrintStream;

/**
 * A status line on standard error: on a live terminal one line redrawn in place ({@code \r} and
 * erase-line); elsewhere nothing is redrawn, and only whole lines are printed.
 */
public final class ProgressLine {

  private final PrintStream err;
  private final Terminal terminal;
  private boolean drawn;

  public ProgressLine(PrintStream err, Terminal terminal) {
    this.err = err;
    this.terminal = terminal;
  }

  public boolean live() {
    return terminal.live();
  }

  /** Redraws the line (live terminals only; ignored elsewhere). */
  public synchronized void redraw(String text) {
    if (!terminal.live()) {
      return;
    }
    err.print("\r" + Text.fit(text, terminal.width() - 1) + "\033[K");
    err.flush();
    drawn = true;
  }

  /** Prints a line that stays (clearing the redrawn one first). */
  public synchronized void line(String text) {
    clear();
    err.println(text);
    err.flush();
  }

  /** Erases the redrawn line, if any. */
  public synchronized void clear() {
    if (drawn) {
      err.print("\r\033[K");
      err.flush();
      drawn = false;
    }
  }

  /** {@code [#####.....]} of {@code width} cells, {@code fraction} (0 to 1) of them full. */
  static String bar(double fraction, int width) {
    int full = (int) Math.round(Math.max(0, Math.min(1, fraction)) * width);
    return "[" + "#".repeat(full) + ".".repeat(width - full) + "]";
  }
}
