package dev.modelfleet.agent.state;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The persisted {@link AgentState} ({@code state.json}) and the artifact directory, inside the
 * owner-only state directory.
 */
public final class StateStore {

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private final Path dir;
  private final Path stateFile;
  private final Path artifactsDir;
  private volatile AgentState current;

  public StateStore(Path dir) throws IOException {
    this.dir = SecureFiles.ownerOnlyDirectory(dir);
    this.stateFile = dir.resolve("state.json");
    this.artifactsDir = SecureFiles.ownerOnlyDirectory(dir.resolve("artifacts"));
    this.current = Files.exists(stateFile) ? read() : AgentState.EMPTY;
  }

  private AgentState read() throws IOException {
    try {
      return JSON.readValue(stateFile.toFile(), AgentState.class);
    } catch (IOException e) {
      throw new IOException(
          stateFile + " is unreadable (" + e.getMessage() + "); move it away to start afresh", e);
    }
  }

  public AgentState current() {
    return current;
  }

  public synchronized void save(AgentState state) {
    try {
      SecureFiles.writeAtomically(stateFile, JSON.writeValueAsBytes(state));
      current = state;
    } catch (IOException e) {
      throw new UncheckedIOException("could not persist agent state to " + stateFile, e);
    }
  }

  public Path dir() {
    return dir;
  }

  public Path artifactsDir() {
    return artifactsDir;
  }

  /** Where a verified artifact lives; named by content, so two models may share one file. */
  public Path artifact(String sha256) {
    return artifactsDir.resolve(sha256 + ".onnx");
  }

  public Path partial(String sha256) {
    return artifactsDir.resolve(sha256 + ".part");
  }
}
