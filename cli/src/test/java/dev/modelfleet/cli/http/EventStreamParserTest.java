package dev.modelfleet.cli.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventStreamParserTest {

  private static List<EventStream.Event> parse(String... lines) {
    EventStream.Parser parser = new EventStream.Parser();
    List<EventStream.Event> events = new ArrayList<>();
    for (String line : lines) {
      EventStream.Event event = parser.line(line);
      if (event != null) {
        events.add(event);
      }
    }
    return events;
  }

  @Test
  void anEventEndsAtAnEmptyLineWithItsTypeIdAndData() {
    assertEquals(
        List.of(new EventStream.Event("7", "rollout", "{\"a\":1}")),
        parse("event: rollout", "id: 7", "data: {\"a\":1}", ""));
  }

  @Test
  void commentsAreIgnoredAndDataLinesJoinWithNewLines() {
    assertEquals(
        List.of(new EventStream.Event(null, "message", "one\ntwo")),
        parse(": keep-alive", "", "data:one", "data: two", ""));
  }

  @Test
  void theLastIdCarriesOverAndRetryIsRead() {
    EventStream.Parser parser = new EventStream.Parser();
    parser.line("id: 3");
    parser.line("retry: 2500");
    parser.line("data: x");
    assertEquals(new EventStream.Event("3", "message", "x"), parser.line(""));
    parser.line("data: y");
    assertEquals(new EventStream.Event("3", "message", "y"), parser.line(""));
    assertEquals(2500, parser.retryMillis());
    assertNull(parser.line("event: end"));
  }
}
