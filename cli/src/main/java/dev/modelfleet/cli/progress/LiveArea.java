package dev.modelfleet.cli.progress;

import java.io.PrintStream;
import java.util.List;

/**
 * A block of lines redrawn in place on a terminal: the cursor goes back up over the lines drawn
 * last time, clears to the end of the screen and writes the new ones, in one write so that it does
 * not flicker.
 */
final class LiveArea {

  private final PrintStream out;
  private int drawn;

  LiveArea(PrintStream out) {
    this.out = out;
  }

  void draw(List<String> lines) {
    StringBuilder frame = new StringBuilder();
    if (drawn > 0) {
      frame.append("\033[").append(drawn).append('A');
    }
    frame.append('\r').append("\033[J");
    for (String line : lines) {
      frame.append(line).append('\n');
    }
    out.print(frame);
    out.flush();
    drawn = lines.size();
  }

  /** Something else was printed below the area: draw the next one anew, below that. */
  void forget() {
    drawn = 0;
  }
}
