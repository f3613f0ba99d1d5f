package dev.modelfleet.cli.output;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What the output may do: redraw lines and use colour only on a terminal, and never when {@code
 * NO_COLOR} is set (https://no-color.org) or {@code TERM=dumb}. A pipe or a file gets plain lines
 * that a log keeps readable.
 *
 * @param interactive whether a person is at a terminal (questions may be asked)
 * @param live whether lines may be redrawn in place (cursor movement) and coloured
 * @param width columns to fit a line in
 * @param height rows a redrawn area must stay within
 * @param unicode whether the terminal's encoding shows block characters (UTF-8)
 */
public record Terminal(boolean interactive, boolean live, int width, int height, boolean unicode) {

  private static final int DEFAULT_WIDTH = 100;
  private static final int DEFAULT_HEIGHT = 40;

  /** Plain output (a pipe, a file, a test). */
  public static Terminal plain() {
    return new Terminal(false, false, DEFAULT_WIDTH, DEFAULT_HEIGHT, false);
  }

  /**
   * Looks at this process: a terminal on both ends ({@code System.console()}, which Java 17 gives
   * only when standard input and output are both a terminal), no {@code NO_COLOR}, a {@code TERM}
   * other than {@code dumb}.
   */
  public static Terminal detect(Map<String, String> env) {
    boolean tty = System.console() != null;
    boolean noColor = !env.getOrDefault("NO_COLOR", "").isEmpty();
    boolean dumb = "dumb".equals(env.get("TERM"));
    boolean live = tty && !noColor && !dumb;
    if (!tty) {
      return plain();
    }
    int[] size = size();
    int width = positive(env.get("COLUMNS"), size[1] > 0 ? size[1] : DEFAULT_WIDTH);
    int height = positive(env.get("LINES"), size[0] > 0 ? size[0] : DEFAULT_HEIGHT);
    return new Terminal(true, live, width, height, utf8());
  }

  /** Whether the platform encoding (what the terminal was set up with) is UTF-8. */
  private static boolean utf8() {
    String encoding =
        System.getProperty("native.encoding", java.nio.charset.Charset.defaultCharset().name());
    return encoding.replace("-", "").equalsIgnoreCase("UTF8");
  }

  private static int positive(String value, int otherwise) {
    try {
      int parsed = Integer.parseInt(value == null ? "" : value.trim());
      return parsed > 0 ? parsed : otherwise;
    } catch (NumberFormatException e) {
      return otherwise;
    }
  }

  /** Rows and columns as {@code stty} reads them from the terminal; zeros when it cannot. */
  private static int[] size() {
    int[] unknown = {0, 0};
    try {
      Process stty =
          new ProcessBuilder("stty", "size")
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/tty")))
              .redirectErrorStream(true)
              .start();
      if (!stty.waitFor(2, TimeUnit.SECONDS)) {
        stty.destroyForcibly();
        return unknown;
      }
      String[] rowsColumns =
          new String(stty.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)
              .trim()
              .split("\\s+");
      return rowsColumns.length == 2
          ? new int[] {Integer.parseInt(rowsColumns[0]), Integer.parseInt(rowsColumns[1])}
          : unknown;
    } catch (IOException | NumberFormatException e) {
      return unknown;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return unknown;
    }
  }

  /** {@code text} in an ANSI colour when live, as is otherwise. */
  public String color(Color color, String text) {
    return live && !text.isEmpty() ? "\033[" + color.code + "m" + text + "\033[0m" : text;
  }

  /** The few colours the output uses. */
  public enum Color {
    GREEN("32"),
    YELLOW("33"),
    BLUE("34"),
    CYAN("36"),
    RED("31"),
    MAGENTA("35"),
    GREY("90"),
    BOLD("1");

    private final String code;

    Color(String code) {
      this.code = code;
    }
  }
}
