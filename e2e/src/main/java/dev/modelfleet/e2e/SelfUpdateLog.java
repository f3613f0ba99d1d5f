package dev.modelfleet.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What an agent's log (agent and launcher lines) says about a self-update, in milliseconds. */
public final class SelfUpdateLog {

  private SelfUpdateLog() {}

  public static long downloadAndVerifyMs(AgentProcess agent, String version) throws IOException {
    Matcher m =
        Pattern.compile("agent " + Pattern.quote(version) + " downloaded and verified in (\\d+) ms")
            .matcher(Files.readString(agent.log()));
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  /**
   * Where the serving gap went, from the logs: the old agent's decision to restart until the
   * launcher started the new release (the old process's shutdown), then the new process's start
   * until it served from disk; -1 for a part not found.
   */
  public record GapParts(long shutdownMs, long startToServingMs) {
    @Override
    public String toString() {
      return "old agent restart decision to new process start "
          + shutdownMs
          + " ms, new process start to serving from disk "
          + startToServingMs
          + " ms";
    }
  }

  public static GapParts gapParts(AgentProcess agent, String version) throws IOException {
    String log = Files.readString(agent.log());
    Matcher decided =
        Pattern.compile(
                "(\\S+Z) INFO \\S+: agent "
                    + Pattern.quote(version)
                    + " installed beside \\S+; restarting into it")
            .matcher(log);
    Matcher trying =
        Pattern.compile(
                "(\\d+\\.\\d+) modelfleet-agent-launcher: trying agent " + Pattern.quote(version))
            .matcher(log);
    if (!decided.find() || !trying.find()) {
      return new GapParts(-1, -1);
    }
    Matcher serving =
        Pattern.compile("serving \\d+ model\\(s\\) from disk (\\d+) ms after the process started")
            .matcher(log);
    long start = serving.find(trying.end()) ? Long.parseLong(serving.group(1)) : -1;
    long shutdownMs =
        Math.round(Double.parseDouble(trying.group(1)) * 1000)
            - java.time.Instant.parse(decided.group(1)).toEpochMilli();
    return new GapParts(shutdownMs, start);
  }

  /** From the launcher starting the release to its giving up on it, by its own log's clock. */
  public static long revertMs(AgentProcess agent, String version) throws IOException {
    String log = Files.readString(agent.log());
    Matcher trying =
        Pattern.compile(
                "(\\d+\\.\\d+) modelfleet-agent-launcher: trying agent " + Pattern.quote(version))
            .matcher(log);
    Matcher reverted =
        Pattern.compile(
                "(\\d+\\.\\d+) modelfleet-agent-launcher: agent "
                    + Pattern.quote(version)
                    + " reverted")
            .matcher(log);
    if (!trying.find() || !reverted.find()) {
      return -1;
    }
    return Math.round(
        (Double.parseDouble(reverted.group(1)) - Double.parseDouble(trying.group(1))) * 1000);
  }
}
