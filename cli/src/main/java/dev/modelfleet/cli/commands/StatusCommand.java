package dev.modelfleet.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelfleet.cli.ExitCode;
import dev.modelfleet.cli.Session;
import dev.modelfleet.cli.http.ApiClient;
import dev.modelfleet.cli.http.ApiException;
import dev.modelfleet.cli.http.ApiPath;
import dev.modelfleet.cli.output.Describe;
import dev.modelfleet.cli.output.Formats;
import dev.modelfleet.cli.output.Text;
import java.util.Iterator;
import java.util.Locale;
import picocli.CommandLine.Command;

@Command(
    name = "status",
    header = "Server health, versions, connected devices, heartbeat ingest.",
    description = {
      "The server at a glance: health (database, agent port), versions, whether the token is",
      "accepted, rollouts under way, and this replica's connected devices and heartbeat ingest",
      "(those two need an admin token). Exits 0 when healthy and the token is accepted."
    },
    footerHeading = "%nExamples:%n",
    footer = {"  modelfleet status", "  modelfleet status --context staging -o json"})
public final class StatusCommand extends SessionCommand {

  @Override
  protected int run() {
    ApiClient api = api();
    ObjectNode status = Formats.JSON.createObjectNode();
    status.put("server", api.connection().server().toString());
    status.put("context", api.connection().context());
    status.put("cliVersion", Session.version());
    ApiClient.Response health = api.openJson(ApiPath.open("/q/health"));
    status.set("health", health.body());
    JsonNode openapi = api.openJson(ApiPath.open("/q/openapi").query("format", "json")).body();
    status.put("serverVersion", openapi.path("info").path("version").asText(null));
    int exit = health.status() == 200 ? ExitCode.OK : ExitCode.SERVER_ERROR;
    String token;
    try {
      long running = count(api, "running");
      long paused = count(api, "paused");
      status.putObject("rollouts").put("running", running).put("paused", paused);
      token = "accepted";
    } catch (ApiException e) {
      token = "refused: " + e.getMessage();
      exit = e.exitCode();
    }
    status.put("token", token);
    String ingestNote = "";
    try {
      status.set("ingest", api.get(ApiPath.api("system", "ingest")));
    } catch (ApiException e) {
      ingestNote = e.status() == 403 ? "(needs an admin token)" : "(" + e.getMessage() + ")";
    }
    String note = ingestNote;
    print(status, out -> describe(new Describe(out), status, note));
    return exit;
  }

  private static long count(ApiClient api, String state) {
    return api.forEachPage(ApiPath.api("rollouts").query("state", state), 1000, 0, page -> {});
  }

  private static void describe(Describe d, JsonNode status, String ingestNote) {
    JsonNode health = status.path("health");
    d.field(
            "Server",
            Text.cell(status.path("server"))
                + (status.path("context").isTextual()
                    ? " (context " + Text.cell(status.path("context")) + ")"
                    : " (from the environment)"))
        .field("Health", Text.cell(health.path("status")) + checks(health.path("checks")))
        .field(
            "Versions",
            "server "
                + (status.path("serverVersion").isTextual()
                    ? Text.cell(status.path("serverVersion"))
                    : "unknown")
                + ", modelfleet "
                + Text.cell(status.path("cliVersion")))
        .field("Token", status, "token");
    JsonNode rollouts = status.path("rollouts");
    if (rollouts.isObject()) {
      d.field(
          "Rollouts",
          rollouts.path("running").asLong()
              + " running, "
              + rollouts.path("paused").asLong()
              + " paused");
    }
    JsonNode ingest = status.path("ingest");
    if (!ingest.isObject()) {
      d.field("Devices", "connected to this replica: " + ingestNote);
      return;
    }
    d.field("Devices", ingest.path("connectedDevices").asLong() + " connected to this replica");
    d.section("Heartbeat ingest (since " + Text.cell(ingest.path("since")) + ")")
        .field(
            "Heartbeats",
            String.format(
                Locale.ROOT,
                "%d received, %d written, %d replaced, %d dropped, %d queued",
                ingest.path("heartbeatsReceived").asLong(),
                ingest.path("heartbeatsFlushed").asLong(),
                ingest.path("heartbeatsReplaced").asLong(),
                ingest.path("heartbeatsDropped").asLong(),
                ingest.path("queueDepth").asLong()))
        .field(
            "Flushes",
            String.format(
                Locale.ROOT,
                "%d (%d failed), last %.1f ms",
                ingest.path("flushes").asLong(),
                ingest.path("failedFlushes").asLong(),
                ingest.path("lastFlushMs").asDouble()))
        .field(
            "Latency",
            String.format(
                Locale.ROOT,
                "device to commit p50 %.0f ms, p99 %.0f ms; receipt to commit p50 %.0f ms, p99 %.0f ms",
                ingest.path("p50Ms").asDouble(),
                ingest.path("p99Ms").asDouble(),
                ingest.path("receiptToCommitP50Ms").asDouble(),
                ingest.path("receiptToCommitP99Ms").asDouble()));
  }

  /** " (database UP, grpc UP)" from the health checks. */
  private static String checks(JsonNode checks) {
    if (!checks.isArray() || checks.isEmpty()) {
      return "";
    }
    StringBuilder out = new StringBuilder(" (");
    for (Iterator<JsonNode> it = checks.iterator(); it.hasNext(); ) {
      JsonNode check = it.next();
      out.append(Text.cell(check.path("name"))).append(' ').append(Text.cell(check.path("status")));
      if (it.hasNext()) {
        out.append(", ");
      }
    }
    return out.append(')').toString();
  }
}
