package dev.modelfleet.agent.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** --log-format json: one JSON object per line that a log collector parses as it is. */
class JsonLineLogFormatTest {

  /** The device id is process-wide: agents started by earlier test classes in this JVM set it. */
  @BeforeEach
  @AfterEach
  void forgetDevice() {
    JsonLineLogFormat.deviceId(null);
  }

  @Test
  void eachEventIsOneParsableLineWithTheDeviceId() throws Exception {
    JsonLineLogFormat.deviceId("3f0c7a52-1111-4222-8333-944445555666");
    LogRecord record = new LogRecord(Level.WARNING, "model \"{0}\" refused:\nsha256 mismatch");
    record.setParameters(new Object[] {"classifier"});
    record.setLoggerName("modelfleet.deploy");
    record.setThrown(new IllegalStateException("boom"));
    String line = new JsonLineLogFormat().format(record);
    assertTrue(line.endsWith("\n") && line.indexOf('\n') == line.length() - 1, line);
    JsonNode json = new ObjectMapper().readTree(line);
    assertEquals("WARNING", json.path("level").asText());
    assertEquals("modelfleet.deploy", json.path("logger").asText());
    assertEquals("model \"classifier\" refused:\nsha256 mismatch", json.path("message").asText());
    assertEquals("3f0c7a52-1111-4222-8333-944445555666", json.path("device_id").asText());
    assertTrue(json.path("exception").asText().contains("IllegalStateException: boom"));
    assertTrue(json.path("timestamp").asText().endsWith("Z"));
  }

  @Test
  void beforeEnrollmentThereIsNoDeviceId() throws Exception {
    String line = new JsonLineLogFormat().format(new LogRecord(Level.INFO, "starting"));
    assertTrue(new ObjectMapper().readTree(line).path("device_id").isMissingNode(), line);
  }
}
