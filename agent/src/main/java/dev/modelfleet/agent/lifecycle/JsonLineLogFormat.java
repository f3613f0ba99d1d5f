package dev.modelfleet.agent.lifecycle;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * java.util.logging as one JSON object per line ({@code --log-format json}), for log collectors:
 * {@code timestamp}, {@code level}, {@code logger}, {@code message}, {@code thread}, the {@code
 * device_id} once the device knows it, and {@code exception} with its stack trace. Messages never
 * hold the credential, the token or a key (the agent never logs them), so neither does this.
 */
final class JsonLineLogFormat extends Formatter {

  private static final JsonFactory JSON = new JsonFactory();
  private static volatile String deviceId;

  /** Every line from now on names this device. */
  static void deviceId(String id) {
    deviceId = id;
  }

  @Override
  public String format(LogRecord record) {
    StringWriter line = new StringWriter(160);
    try (JsonGenerator g = JSON.createGenerator(line)) {
      g.writeStartObject();
      g.writeStringField("timestamp", Instant.ofEpochMilli(record.getMillis()).toString());
      g.writeStringField("level", record.getLevel().getName());
      g.writeStringField("logger", record.getLoggerName());
      g.writeStringField("message", formatMessage(record));
      g.writeStringField("thread", Thread.currentThread().getName());
      String device = deviceId;
      if (device != null) {
        g.writeStringField("device_id", device);
      }
      if (record.getThrown() != null) {
        StringWriter trace = new StringWriter();
        record.getThrown().printStackTrace(new PrintWriter(trace));
        g.writeStringField("exception", trace.toString());
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringWriter does not fail
    }
    return line.append('\n').toString();
  }
}
