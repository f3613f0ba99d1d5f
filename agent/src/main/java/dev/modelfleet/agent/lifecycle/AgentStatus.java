package dev.modelfleet.agent.lifecycle;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.modelfleet.agent.config.AgentConfig;
import dev.modelfleet.agent.deploy.Deployer;
import dev.modelfleet.agent.metrics.AgentMetrics;
import dev.modelfleet.agent.runtime.ModelRegistry;
import dev.modelfleet.agent.runtime.ServedModel;
import dev.modelfleet.agent.session.SyncSession;
import dev.modelfleet.agent.state.ActiveModel;
import dev.modelfleet.agent.state.JsonObject;
import dev.modelfleet.agent.state.StateStore;
import dev.modelfleet.agent.tls.TlsIdentityStore;
import dev.modelfleet.protocol.agent.v1.DesiredModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What {@code modelfleet-agent status} shows: identity, server, connection, models (desired,
 * installed, serving), last sync, certificate expiry, pending downloads. A running agent answers it
 * at {@code GET /agent/status} on its local API (only the process knows the connection, the desired
 * state and what is in service); with no agent running the command builds the same document from
 * the state directory alone, so it also explains a device whose agent is down.
 */
final class AgentStatus {

  /** What only the running process knows; null fields are parts not started yet. */
  record Live(
      ModelRegistry registry,
      AgentMetrics metrics,
      SyncSession sync,
      Deployer deployer,
      int httpPort,
      int grpcPort) {}

  private AgentStatus() {}

  /** The status document; {@code live} null when read from the state directory alone. */
  static byte[] json(AgentConfig config, String version, Live live) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(512);
    try (JsonGenerator g = new JsonFactory().createGenerator(out, JsonEncoding.UTF8)) {
      g.writeStartObject();
      g.writeStringField("version", version);
      g.writeBooleanField("running", live != null);
      identity(g, config.stateDir());
      g.writeStringField("server", config.server());
      g.writeStringField("connection", connection(config, live));
      long lastSync = live == null || live.metrics() == null ? 0 : live.metrics().lastSyncMillis();
      g.writeStringField(
          "last_sync", lastSync == 0 ? null : Instant.ofEpochMilli(lastSync).toString());
      g.writeStringField("certificate_expires", certificateExpiry(config.stateDir()));
      if (live != null) {
        String host = config.bindAddress().getHostAddress();
        g.writeStringField("inference_http", host + ":" + live.httpPort());
        g.writeStringField(
            "inference_grpc", live.grpcPort() < 0 ? null : host + ":" + live.grpcPort());
      }
      models(g, config.stateDir(), live);
      pendingDownloads(g, config.stateDir());
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static String connection(AgentConfig config, Live live) {
    if (live == null) {
      return "agent not running";
    }
    if (config.server() == null) {
      return "offline (no server configured)";
    }
    SyncSession sync = live.sync();
    if (sync == null) {
      return "starting";
    }
    if (sync.stopped() != null) {
      return "stopped (" + sync.stopped() + "): see the agent log";
    }
    return sync.connected() ? "connected" : "reconnecting";
  }

  private static void identity(JsonGenerator g, Path stateDir) throws IOException {
    Path file = stateDir.resolve("identity.json");
    if (!Files.isRegularFile(file)) {
      g.writeNullField("device_id");
      g.writeNullField("device_name");
      return;
    }
    JsonObject identity = JsonObject.read(file);
    // The credential in that file is a secret: only the id and the name are shown.
    g.writeStringField("device_id", identity.string("deviceId"));
    g.writeStringField("device_name", identity.string("name"));
  }

  private static String certificateExpiry(Path stateDir) {
    TlsIdentityStore store = new TlsIdentityStore(stateDir);
    if (!store.exists()) {
      return null;
    }
    try {
      return store.load().notAfter().toString();
    } catch (IOException | RuntimeException e) {
      return "unreadable: " + e.getMessage();
    }
  }

  private static void models(JsonGenerator g, Path stateDir, Live live) throws IOException {
    Map<String, String[]> rows = new TreeMap<>();
    if (live != null && live.deployer() != null && live.deployer().desired() != null) {
      for (DesiredModel m : live.deployer().desired().getModelsList()) {
        rows.computeIfAbsent(m.getModel(), k -> new String[3])[0] = m.getVersion();
      }
    }
    if (Files.isRegularFile(stateDir.resolve("state.json"))) {
      for (ActiveModel m : new StateStore(stateDir).current().activeModels()) {
        rows.computeIfAbsent(m.model(), k -> new String[3])[1] = m.version();
      }
    }
    if (live != null) {
      for (ServedModel m : live.registry().all()) {
        rows.computeIfAbsent(m.name(), k -> new String[3])[2] = m.version();
      }
    }
    g.writeArrayFieldStart("models");
    for (Map.Entry<String, String[]> row : rows.entrySet()) {
      g.writeStartObject();
      g.writeStringField("name", row.getKey());
      g.writeStringField("desired", row.getValue()[0]);
      g.writeStringField("installed", row.getValue()[1]);
      g.writeStringField("serving", row.getValue()[2]);
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  private static void pendingDownloads(JsonGenerator g, Path stateDir) throws IOException {
    List<Path> parts = new ArrayList<>();
    Path artifacts = stateDir.resolve("artifacts");
    if (Files.isDirectory(artifacts)) {
      try (Stream<Path> files = Files.list(artifacts)) {
        files
            .filter(p -> p.getFileName().toString().endsWith(".part"))
            .sorted()
            .forEach(parts::add);
      }
    }
    g.writeArrayFieldStart("pending_downloads");
    for (Path part : parts) {
      String name = part.getFileName().toString();
      g.writeStartObject();
      g.writeStringField("sha256", name.substring(0, name.length() - ".part".length()));
      g.writeNumberField("bytes", Files.size(part));
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  /** The document as the lines {@code modelfleet-agent status} prints. */
  static String text(byte[] json) throws IOException {
    JsonObject s = JsonObject.parse(json);
    StringBuilder b = new StringBuilder();
    String device =
        s.string("device_id") != null
            ? s.string("device_id") + " (" + s.string("device_name", "?") + ")"
            : "not enrolled";
    line(
        b,
        "agent",
        s.string("version", "")
            + (Boolean.TRUE.equals(s.bool("running")) ? ", running" : ", not running"));
    line(b, "device", device);
    line(b, "server", s.string("server", "(none configured)"));
    line(b, "connection", s.string("connection", ""));
    line(b, "last sync", s.string("last_sync", "never (since the agent started)"));
    line(
        b,
        "certificate",
        s.string("certificate_expires") != null
            ? "expires " + s.string("certificate_expires")
            : "none (plaintext to the server)");
    if (s.has("inference_http")) {
      line(
          b,
          "inference",
          "http "
              + s.string("inference_http")
              + (s.string("inference_grpc") != null
                  ? ", grpc " + s.string("inference_grpc")
                  : ", grpc off"));
    }
    List<JsonObject> models = s.objects("models");
    if (models == null || models.isEmpty()) {
      line(b, "models", "none");
    } else {
      line(
          b,
          "models",
          String.format("%-24s %-12s %-12s %s", "NAME", "DESIRED", "INSTALLED", "SERVING"));
      for (JsonObject m : models) {
        line(
            b,
            "",
            String.format(
                "%-24s %-12s %-12s %s",
                m.string("name", ""),
                m.string("desired", "-"),
                m.string("installed", "-"),
                m.string("serving", "-")));
      }
    }
    List<JsonObject> pending = s.objects("pending_downloads");
    if (pending == null || pending.isEmpty()) {
      line(b, "downloads", "none pending");
    } else {
      for (JsonObject p : pending) {
        line(
            b,
            "downloads",
            p.string("sha256", "") + " (" + p.longValue("bytes", 0) + " bytes so far)");
      }
    }
    return b.toString();
  }

  private static void line(StringBuilder b, String label, String value) {
    b.append(String.format("%-12s %s%n", label, value));
  }
}
