package dev.modelfleet.agent.state;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The persisted {@link AgentState} ({@code state.json}) and the artifact directory, inside the
 * owner-only state directory.
 */
public final class StateStore {

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
      return fromJson(JsonObject.read(stateFile));
    } catch (IOException e) {
      throw new IOException(
          stateFile + " is unreadable (" + e.getMessage() + "); move it away to start afresh", e);
    }
  }

  // state.json keeps the record components' names (the format Jackson's data binding wrote);
  // fields it does not know are ignored, so an older agent reads a newer file.
  static AgentState fromJson(JsonObject json) throws IOException {
    return new AgentState(
        json.longValue("acceptedGeneration", 0),
        json.string("acceptedPayloadSha256"),
        models(json.objects("activeModels")),
        json.string("acceptedUnderKeys"),
        models(json.objects("previousModels")),
        json.longValue("acceptedIssuedAtMs", 0));
  }

  private static List<ActiveModel> models(List<JsonObject> objects) throws IOException {
    List<ActiveModel> models = new ArrayList<>();
    for (JsonObject m : objects == null ? List.<JsonObject>of() : objects) {
      models.add(
          new ActiveModel(
              m.string("model"),
              m.string("version"),
              m.string("variantId"),
              m.string("sha256"),
              m.longValue("size", 0),
              m.longValue("generation", 0),
              m.string("executionProvider"),
              m.longValue("targetsVersion", 0)));
    }
    return models;
  }

  static byte[] toJson(AgentState state) throws IOException {
    return JsonObject.write(
        true,
        g -> {
          g.writeStartObject();
          g.writeNumberField("acceptedGeneration", state.acceptedGeneration());
          g.writeStringField("acceptedPayloadSha256", state.acceptedPayloadSha256());
          writeModels(g, "activeModels", state.activeModels());
          g.writeStringField("acceptedUnderKeys", state.acceptedUnderKeys());
          writeModels(g, "previousModels", state.previousModels());
          g.writeNumberField("acceptedIssuedAtMs", state.acceptedIssuedAtMs());
          g.writeEndObject();
        });
  }

  private static void writeModels(JsonGenerator g, String field, List<ActiveModel> models)
      throws IOException {
    g.writeArrayFieldStart(field);
    for (ActiveModel m : models) {
      g.writeStartObject();
      g.writeStringField("model", m.model());
      g.writeStringField("version", m.version());
      g.writeStringField("variantId", m.variantId());
      g.writeStringField("sha256", m.sha256());
      g.writeNumberField("size", m.size());
      g.writeNumberField("generation", m.generation());
      g.writeStringField("executionProvider", m.executionProvider());
      g.writeNumberField("targetsVersion", m.targetsVersion());
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  public AgentState current() {
    return current;
  }

  public synchronized void save(AgentState state) {
    try {
      SecureFiles.writeAtomically(stateFile, toJson(state));
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
