package dev.modelfleet.agent.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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
}
