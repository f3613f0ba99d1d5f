package dev.modelfleet.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.onnx.samples.SampleModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * README command 1: a server, two agents with different labels, one model rolled out to both, and
 * an inference call on each. Everything it starts it stops again.
 *
 * <p>Usage: {@code Demo [path/to/model.onnx]}; without a path it publishes the project's own sample
 * classifier. Expects the database {@code modelfleet_demo} (deploy/demo/run.sh makes it).
 */
public final class Demo {

  private Demo() {}

  /** Leaves everything running at the end, for the command line (README's quick start). */
  static final String KEEP_RUNNING = "--keep-running";

  public static void main(String[] args) throws Exception {
    RepoLayout repo = RepoLayout.find();
    Path workDir = repo.root().resolve("demo-work");
    deleteRecursively(workDir);
    Files.createDirectories(workDir);
    List<String> arguments = new java.util.ArrayList<>(List.of(args));
    boolean keepRunning = arguments.remove(KEEP_RUNNING);
    Path modelFile = arguments.isEmpty() ? null : Path.of(arguments.get(0)).toAbsolutePath();
    if (modelFile != null && !Files.isRegularFile(modelFile)) {
      throw new IllegalArgumentException(
          modelFile + " is not a file: pass the path of an .onnx model");
    }
    String model = modelFile == null ? "demo-classifier" : modelName(modelFile);

    step("starting the control plane (PostgreSQL database modelfleet_demo)");
    try (ServerProcess server = ServerProcess.start(repo, workDir, "modelfleet_demo");
        Fleet fleet = new Fleet(repo, server, workDir)) {
      say(
          "server ready in %d ms: REST %s, agent gRPC %s (log: %s)",
          server.startToReady().toMillis(), server.baseUri(), server.grpcTarget(), server.log());

      step("starting two agents with their own state directories and labels");
      AgentProcess lab =
          fleet.startAgent("demo-agent-lab", Map.of("site", "lab", "ring", "canary"));
      AgentProcess shop =
          fleet.startAgent("demo-agent-shop", Map.of("site", "shop", "ring", "stable"));
      for (AgentProcess agent : List.of(lab, shop)) {
        say(
            "%s enrolled as device %s, inference API %s",
            agent.name(), fleet.deviceIdOf(agent), agent.inferenceUri());
      }

      step("publishing model " + model + " version 1");
      fleet.createModel(model);
      fleet.createVersion(model, "1");
      JsonNode variant =
          modelFile == null
              ? fleet.uploadVariant(model, "1", SampleModels.classifier(1))
              : fleet.uploadVariant(model, "1", modelFile);
      say(
          "variant %s: %d bytes, sha256 %s, signed",
          variant.path("id").asText(),
          variant.path("size").asLong(),
          variant.path("sha256").asText());

      step("rolling " + model + " 1 out to ring in (canary,stable) in two waves (50 %, 100 %)");
      JsonNode rollout =
          fleet
              .admin()
              .post(
                  "/api/v1/rollouts",
                  Map.of(
                      "model",
                      model,
                      "version",
                      "1",
                      "selector",
                      "ring in (canary,stable)",
                      "start",
                      true,
                      "waves",
                      List.of(Map.of("percent", 50), Map.of("percent", 100)),
                      "defaults",
                      RolloutDefaults.everyDeviceActive(3, 300)));
      followRollout(fleet, rollout.path("id").asText(), Duration.ofMinutes(3));
      fleet.awaitActive(model, "1", List.of(lab, shop), Duration.ofMinutes(2), Demo::say);

      step("calling each agent's local inference API");
      for (AgentProcess agent : List.of(lab, shop)) {
        InferenceClient client = new InferenceClient(agent.inferenceUri());
        JsonNode response = client.inferWithSyntheticInputs(model);
        say("%s POST /v2/models/%s/infer ->", agent.name(), model);
        for (JsonNode output : response.path("outputs")) {
          say(
              "    %s %s %s = %s",
              output.path("name").asText(),
              output.path("datatype").asText(),
              output.path("shape"),
              abbreviate(output.path("data").toString()));
        }
      }
      if (keepRunning) {
        keepRunning(server, model);
      }
      step("done: stopping the agents and the server");
    }
  }

  /**
   * Leaves the server and the agents running for the README's quick start with the command line,
   * until Enter (or the end of standard input).
   */
  private static void keepRunning(ServerProcess server, String model) throws java.io.IOException {
    step("the server and both agents keep running: drive them with the command line");
    say("in another terminal, from the repository's root:");
    say("");
    say("cli/modelfleet login --server %s --token %s", server.baseUri(), server.adminToken());
    say("cli/modelfleet devices list");
    say("cli/modelfleet rollouts list");
    say("cli/modelfleet variants push %s 2 model.onnx --precision fp32 --ep cpu --create", model);
    say(
        "cli/modelfleet rollouts create --model %s --version 2 --selector 'ring in (canary,stable)'"
            + " --waves 50,100 --start --watch",
        model);
    say("");
    say("(model.onnx: any ONNX model; java -jar agent/target/modelfleet-agent.jar sample-model");
    say(" model.onnx --seed 2 writes a second version of the project's sample classifier)");
    System.out.println();
    System.out.println("Press Enter to stop the agents and the server.");
    while (true) {
      int read = System.in.read();
      if (read == -1 || read == '\n') {
        return;
      }
    }
  }

  /** Prints the rollout's progress whenever it changes, until it completes. */
  private static void followRollout(Fleet fleet, String id, Duration limit) {
    String[] last = {""};
    Waits.until(
        "the rollout to complete",
        limit,
        () -> {
          JsonNode rollout = fleet.admin().get("/api/v1/rollouts/" + id);
          String state = rollout.path("state").asText();
          String line =
              String.format(
                  "rollout %s, wave %d of %d, devices %s",
                  state,
                  rollout.path("currentWave").asInt() + 1,
                  rollout.path("waves").size(),
                  rollout.path("totals").path("byState"));
          if (!line.equals(last[0])) {
            say(line);
            last[0] = line;
          }
          if (!state.equals("running") && !state.equals("completed")) {
            throw new Waits.GaveUp(
                "the rollout did not complete: "
                    + state
                    + " "
                    + rollout.path("stateReason").asText());
          }
          return state.equals("completed");
        });
    say("rollout events:");
    fleet
        .admin()
        .get("/api/v1/rollouts/" + id)
        .path("events")
        .forEach(
            e ->
                say(
                    "    %s %-6s %-15s %s",
                    e.path("at").asText(),
                    e.path("actor").asText(),
                    e.path("type").asText(),
                    e.path("detail").asText()));
  }

  private static String modelName(Path file) {
    String base = file.getFileName().toString().replaceFirst("\\.onnx$", "").toLowerCase();
    String name = base.replaceAll("[^a-z0-9._-]", "-").replaceAll("^[^a-z0-9]+", "");
    return name.isEmpty() ? "model" : name.substring(0, Math.min(60, name.length()));
  }

  private static String abbreviate(String text) {
    return text.length() <= 120 ? text : text.substring(0, 117) + "...";
  }

  private static void step(String text) {
    System.out.println();
    System.out.println("==> " + text);
  }

  static void say(String format, Object... args) {
    System.out.println("    " + String.format(format, args));
  }

  static void say(String text) {
    System.out.println("    " + text);
  }

  private static void deleteRecursively(Path dir) throws java.io.IOException {
    if (Files.exists(dir)) {
      try (var paths = Files.walk(dir)) {
        paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
