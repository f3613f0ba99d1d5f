package dev.modelfleet.e2e.bench;

import dev.modelfleet.agent.config.AgentConfig;
import dev.modelfleet.agent.lifecycle.Agent;
import dev.modelfleet.agent.state.ActiveModel;
import dev.modelfleet.agent.state.AgentState;
import dev.modelfleet.agent.state.StateStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * Idle RSS of the agent's local side: a state directory with one model active (restored from disk
 * as at a restart), the inference API up, no control plane; prints VmRSS after a pause. Uses only
 * classes that exist before and after the Open Inference Protocol work, so the same source runs
 * against both jars. Args: MODEL.onnx WORKDIR [grpc-port]. Run it with the systemd unit's JVM
 * flags.
 */
public final class LocalFootprint {

  private LocalFootprint() {}

  public static void main(String[] args) throws Exception {
    Path model = Path.of(args[0]);
    Path state = Files.createDirectories(Path.of(args[1]));
    byte[] bytes = Files.readAllBytes(model);
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    Files.createDirectories(state.resolve("artifacts"));
    Files.write(state.resolve("artifacts").resolve(sha + ".onnx"), bytes);
    new StateStore(state)
        .save(
            AgentState.EMPTY.withActive(
                new ActiveModel("m", "1", "m-1", sha, bytes.length, 1, "cpu", 0)));
    Map<String, String> flags = new HashMap<>();
    flags.put("state-dir", state.toString());
    flags.put("http-port", "0");
    if (args.length > 2) {
      flags.put("grpc-port", args[2]);
    }
    try (Agent agent = new Agent(AgentConfig.load(null, flags))) {
      agent.startLocal();
      Thread.sleep(5000);
      System.out.println("idle RSS " + rssKb() / 1024 + " MB");
    }
  }

  private static long rssKb() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }
}
