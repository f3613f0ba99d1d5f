package dev.modelfleet.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Instant;
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
   * Where the serving gap went, from the log's timestamps (the agent's, ms; the launcher's, ms):
   * the old agent answers until it closes its inference API ({@code apiOpenMs} after it decided to
   * restart), then its process ends and the launcher starts the new one ({@code exitMs}), which
   * serves from disk {@code startToServingMs} later. -1 for a part not found.
   */
  public record GapParts(long apiOpenMs, long exitMs, long startToServingMs) {
    @Override
    public String toString() {
      return "old agent answered "
          + apiOpenMs
          + " ms after its restart decision, exited "
          + exitMs
          + " ms after closing its API; new process serving "
          + startToServingMs
          + " ms after the launcher started it";
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
      return new GapParts(-1, -1, -1);
    }
    long decidedAt = Instant.parse(decided.group(1)).toEpochMilli();
    long startedAt = Math.round(Double.parseDouble(trying.group(1)) * 1000);
    Matcher closed = Pattern.compile("(\\S+Z) INFO \\S+: local inference API closed").matcher(log);
    long closedAt = closed.find(decided.end()) ? Instant.parse(closed.group(1)).toEpochMilli() : -1;
    Matcher serving =
        Pattern.compile("(\\S+Z) INFO \\S+: serving \\d+ model\\(s\\) from disk").matcher(log);
    long servingAt =
        serving.find(trying.end()) ? Instant.parse(serving.group(1)).toEpochMilli() : -1;
    return new GapParts(
        closedAt < 0 ? -1 : closedAt - decidedAt,
        closedAt < 0 ? -1 : startedAt - closedAt,
        servingAt < 0 ? -1 : servingAt - startedAt);
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
