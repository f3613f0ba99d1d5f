package dev.modelfleet.agent.lifecycle;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** java.util.logging on one line per event, the shape journald and `grep` like best. */
final class OneLineLogFormat extends Formatter {

  @Override
  public String format(LogRecord record) {
    StringBuilder line =
        new StringBuilder(128)
            .append(Instant.ofEpochMilli(record.getMillis()))
            .append(' ')
            .append(record.getLevel().getName())
            .append(' ')
            .append(record.getLoggerName())
            .append(": ")
            .append(formatMessage(record))
            .append('\n');
    if (record.getThrown() != null) {
      StringWriter trace = new StringWriter();
      record.getThrown().printStackTrace(new PrintWriter(trace));
      line.append(trace);
    }
    return line.toString();
  }

  static void install(boolean verbose) {
    install(verbose, new OneLineLogFormat());
  }

  /** {@code format}: this class, or {@link JsonLineLogFormat} for one JSON object a line. */
  static void install(boolean verbose, Formatter format) {
    Logger root = Logger.getLogger("");
    for (var handler : root.getHandlers()) {
      root.removeHandler(handler);
    }
    ConsoleHandler handler = new ConsoleHandler();
    handler.setFormatter(format);
    Level level = verbose ? Level.FINE : Level.INFO;
    handler.setLevel(level);
    root.addHandler(handler);
    root.setLevel(level);
    // grpc-netty logs connection noise at INFO/WARNING; our own lines say what matters.
    Logger.getLogger("io.grpc").setLevel(Level.SEVERE);
  }
}
