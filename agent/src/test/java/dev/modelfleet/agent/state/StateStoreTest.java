package dev.modelfleet.agent.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateStoreTest {

  @TempDir Path dir;

  @Test
  void stateSurvivesAReopenAndIsOwnerOnlyWithNoTempFileLeft() throws Exception {
    Path stateDir = dir.resolve("s");
    StateStore store = new StateStore(stateDir);
    store.save(
        store
            .current()
            .withAccepted(7, "ab")
            .withActive(new ActiveModel("m", "2", "v", "c".repeat(64), 10, 7, "cpu", 3)));
    StateStore reopened = new StateStore(stateDir);
    assertEquals(7, reopened.current().acceptedGeneration());
    assertEquals("2", reopened.current().active("m").version());
    assertEquals(3, reopened.current().active("m").targetsVersion());
    assertEquals(
        "rw-------",
        PosixFilePermissions.toString(
            Files.getPosixFilePermissions(stateDir.resolve("state.json"))));
    assertEquals(
        "rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(stateDir)));
    try (var files = Files.list(stateDir)) {
      assertFalse(files.anyMatch(f -> f.getFileName().toString().endsWith(".tmp")));
    }
  }

  /**
   * state.json as agents wrote it with Jackson's data binding (before the footprint work), with a
   * field this version does not know: an upgraded agent reads it as it was.
   */
  @Test
  void readsTheStateFileThatEarlierAgentsWrote() throws Exception {
    Path stateDir = dir.resolve("old");
    Files.createDirectories(stateDir);
    Files.writeString(
        stateDir.resolve("state.json"),
        """
        {
          "acceptedGeneration" : 12,
          "acceptedPayloadSha256" : "9f",
          "activeModels" : [ {
            "model" : "vad",
            "version" : "5",
            "variantId" : "vad-5",
            "sha256" : "%s",
            "size" : 2243,
            "generation" : 12,
            "executionProvider" : "cpu",
            "targetsVersion" : 4
          } ],
          "acceptedUnderKeys" : "k1",
          "previousModels" : [ ],
          "aFieldFromTheFuture" : {"x": [1, 2.5, null, true]}
        }
        """
            .formatted("d".repeat(64)));
    AgentState state = new StateStore(stateDir).current();
    assertEquals(12, state.acceptedGeneration());
    assertEquals("9f", state.acceptedPayloadSha256());
    assertEquals("k1", state.acceptedUnderKeys());
    assertEquals(
        new ActiveModel("vad", "5", "vad-5", "d".repeat(64), 2243, 12, "cpu", 4),
        state.active("vad"));
    assertTrue(state.previousModels().isEmpty());
    // and what it writes reads back the same
    new StateStore(stateDir).save(state);
    assertEquals(state, new StateStore(stateDir).current());
  }

  @Test
  void aDamagedStateFileIsRefusedWithWhereAndWhy() throws Exception {
    Path stateDir = dir.resolve("bad");
    Files.createDirectories(stateDir);
    Files.writeString(
        stateDir.resolve("state.json"), "{\"activeModels\": [ {\"size\": \"big\"} ]}");
    IOException e = assertThrows(IOException.class, () -> new StateStore(stateDir));
    assertTrue(e.getMessage().contains("activeModels[0].size"), e.getMessage());
  }

  @Test
  void jsonObjectRefusesUnknownFieldsWhereAskedAndWrongTypes() throws Exception {
    JsonObject o = JsonObject.parse("{\"a\": \"x\", \"n\": 3, \"l\": [\"p\"]}".getBytes());
    assertEquals(List.of("p"), o.strings("l"));
    assertEquals(3L, o.longValue("n"));
    assertEquals(null, o.string("absent"));
    assertThrows(IOException.class, () -> o.string("n"));
    assertThrows(IOException.class, () -> o.onlyFields(List.of("a", "n")));
    assertThrows(IOException.class, () -> JsonObject.parse("[1]".getBytes()));
    assertThrows(IOException.class, () -> JsonObject.parse("{} {}".getBytes()));
  }
}
