package dev.modelfleet.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.cli.output.Column;
import dev.modelfleet.cli.output.Describe;
import dev.modelfleet.cli.output.Text;
import java.time.Instant;
import java.util.List;

/** One device for people: its status, hardware, benchmark, installed, desired and deployments. */
final class DeviceDescription {

  private DeviceDescription() {}

  static void describe(Describe d, JsonNode device, Instant now) {
    d.field("Name", device, "name")
        .field("ID", device, "id")
        .field("Status", device, "status")
        .field("Labels", Text.labels(device.path("labels")))
        .field("Enrolled", Text.age(device.path("enrolledAt"), now))
        .field("Last seen", Text.age(device.path("lastSeenAt"), now))
        .field("Decommissioned", Text.cell(device.path("decommissionedAt")))
        .field(
            "Approval",
            device.path("approvalDecidedAt").isNull()
                    || device.path("approvalDecidedAt").isMissingNode()
                ? ""
                : Text.cell(device.path("approvalDecidedAt"))
                    + " by "
                    + Text.cell(device.path("approvalDecidedBy")))
        .field("Hardware class", device, "hardwareClassId")
        .field("Agent release", agent(device.path("agent")));
    JsonNode hw = device.path("hardware");
    if (hw.isObject()) {
      d.section("Hardware")
          .field("OS", Text.cell(hw.path("os")) + " " + Text.cell(hw.path("osVersion")))
          .field(
              "CPU",
              Text.cell(hw.path("arch"))
                  + " · "
                  + Text.cell(hw.path("cpuModel"))
                  + " · "
                  + Text.cell(hw.path("cpuCores"))
                  + " cores")
          .field("CPU flags", Text.cell(hw.path("cpuFlags")))
          .field(
              "Memory",
              hw.path("memoryTotalBytes").canConvertToLong()
                  ? Text.bytes(hw.path("memoryTotalBytes").asLong())
                      + " ("
                      + Text.bytes(hw.path("memoryAvailableBytes").asLong())
                      + " available)"
                  : "")
          .field(
              "Disk free",
              hw.path("diskFreeBytes").canConvertToLong()
                  ? Text.bytes(hw.path("diskFreeBytes").asLong())
                  : "")
          .field("Providers", Text.cell(hw.path("executionProviders")))
          .field("Accelerators", Text.cell(hw.path("accelerators")))
          .field("ONNX Runtime", Text.cell(hw.path("onnxruntimeVersion")))
          .field("Agent", Text.cell(hw.path("agentVersion")))
          .field("Hostname", Text.cell(hw.path("hostname")))
          .field("Simulated", hw.path("simulated").asBoolean() ? "yes" : "");
    }
    JsonNode benchmark = device.path("benchmark");
    if (benchmark.isObject()) {
      d.section(
              "Benchmark ("
                  + Text.cell(benchmark.path("trigger"))
                  + ", "
                  + Text.age(benchmark.path("startedAt"), now)
                  + ")")
          .table(
              benchmark.path("results"),
              List.of(
                  Column.of("PROVIDER", "executionProvider"),
                  Column.of("PRECISION", "precision"),
                  Column.of("KERNEL", "kernel"),
                  Column.of("P50 MS", "p50Ms"),
                  Column.of("P95 MS", "p95Ms"),
                  Column.of("GMACS", "gmacs"),
                  Column.of("ERROR", "error")));
    }
    d.section("Installed")
        .table(
            device.path("installed"),
            List.of(
                Column.of("MODEL", "model"),
                Column.of("VERSION", "version"),
                Column.of("ACTIVE", i -> i.path("active").asBoolean() ? "yes" : "no"),
                Column.of("VARIANT", "variantId")));
    JsonNode desired = device.path("desired");
    if (desired.isObject()) {
      d.section(
              "Desired (generation "
                  + Text.cell(desired.path("generation"))
                  + ", expires "
                  + Text.age(desired.path("expiresAt"), now)
                  + ")")
          .table(
              desired.path("models"),
              List.of(
                  Column.of("MODEL", "model"),
                  Column.of("VERSION", "version"),
                  Column.of("PRECISION", "precision"),
                  Column.of("PROVIDER", "executionProvider"),
                  Column.of("SIZE", m -> Text.bytes(m.path("size").asLong())),
                  Column.of("VARIANT", "variantId")));
    }
    d.section("Deployments")
        .table(
            device.path("deployments"),
            List.of(
                Column.of("MODEL", "model"),
                Column.of("VERSION", "version"),
                Column.of("STATE", "state"),
                Column.of("GEN", "generation"),
                Column.of("UPDATED", x -> Text.age(x.path("updatedAt"), now)),
                Column.of(
                    "REASON",
                    x ->
                        x.path("reasonCode").isTextual()
                            ? Text.cell(x.path("reasonCode")) + ": " + Text.cell(x.path("reason"))
                            : Text.cell(x.path("reason")))));
    if (device.path("providerMismatches").size() > 0) {
      d.section("Provider mismatches")
          .table(
              device.path("providerMismatches"),
              List.of(
                  Column.of("MODEL", "model"),
                  Column.of("VERSION", "version"),
                  Column.of("EXPECTED", "expectedProvider"),
                  Column.of("USED", "usedProvider"),
                  Column.of("SOURCE", "source"),
                  Column.of("SEEN", x -> Text.age(x.path("observedAt"), now))));
    }
  }

  /** "0.3.1 (protocol 1, config-version 2)"; empty for an agent that did not say. */
  private static String agent(JsonNode agent) {
    if (!agent.path("version").isTextual()) {
      return "";
    }
    return agent.path("version").asText()
        + " (protocol "
        + Math.max(1, agent.path("protocol").asInt())
        + ", config-version "
        + Math.max(1, agent.path("configVersion").asInt())
        + ")";
  }
}
