package dev.modelfleet.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * A child JVM whose output goes to a log file, stopped politely and then firmly. Those still
 * running when this JVM exits (a benchmark stopped with Ctrl-C, a test that never reached its
 * close) are stopped too, so no server or agent outlives the run and holds its ports.
 */
public class ManagedProcess implements AutoCloseable {

  private static final Set<ManagedProcess> RUNNING = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(new Thread(ManagedProcess::stopAllStillRunning, "managed-process-reaper"));
  }

  private final String name;
  private final Process process;
  private final Path log;

  protected ManagedProcess(String name, List<String> command, Map<String, String> env, Path log) {
    this(name, command, env, log, null);
  }

  /**
   * {@code directory}: the working directory, or null for this process's own. {@code env} adds to
   * this process's environment; a null value removes that variable.
   */
  protected ManagedProcess(
      String name, List<String> command, Map<String, String> env, Path log, Path directory) {
    this.name = name;
    this.log = log;
    try {
      Files.createDirectories(log.getParent());
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
      if (directory != null) {
        builder.directory(directory.toFile());
      }
      builder.redirectOutput(log.toFile());
      env.forEach(
          (key, value) -> {
            if (value == null) {
              builder.environment().remove(key);
            } else {
              builder.environment().put(key, value);
            }
          });
      this.process = builder.start();
      RUNNING.add(this);
    } catch (IOException e) {
      throw new UncheckedIOException("could not start " + name + ": " + command, e);
    }
  }

  public String name() {
    return name;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public Path log() {
    return log;
  }

  /** The last lines of the process's log, for error messages that explain a failure. */
  public String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(log);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** Fails with the log's tail when the process died, instead of waiting for a timeout. */
  public void requireAliveFor(String waitingFor) {
    if (!process.isAlive()) {
      throw new Waits.GaveUp(
          name
              + " exited with "
              + process.exitValue()
              + " while "
              + waitingFor
              + ":\n"
              + logTail(40));
    }
  }

  /** Its exit status once it has ended by itself within {@code timeout}; empty if still running. */
  public java.util.OptionalInt awaitExit(Duration timeout) {
    return waitFor(timeout)
        ? java.util.OptionalInt.of(process.exitValue())
        : java.util.OptionalInt.empty();
  }

  /** Resident set size in bytes, from /proc (Linux). */
  public long rssBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
        }
      }
      return -1;
    } catch (IOException e) {
      return -1;
    }
  }

  /** Peak resident set size in bytes since the process started (VmHWM), from /proc. */
  public long peakRssBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
        }
      }
      return -1;
    } catch (IOException e) {
      return -1;
    }
  }

  /** User plus system CPU time the process used so far, in seconds, from /proc (Linux). */
  public double cpuSeconds() {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid()), "stat"));
      // fields after the command name (which may hold spaces) start at state, field 3
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
      return ticks / 100.0; // USER_HZ is 100 on Linux
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** SIGKILL, as a crash or power loss would stop it. */
  public void kill() {
    process.destroyForcibly();
    waitFor(Duration.ofSeconds(10));
  }

  @Override
  public void close() {
    RUNNING.remove(this);
    // A launcher's children (the agent it supervises) go too, even when it could not pass on
    // the signal.
    List<ProcessHandle> children = process.descendants().toList();
    if (process.isAlive()) {
      process.destroy();
      if (!waitFor(Duration.ofSeconds(10))) {
        kill();
      }
    }
    children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
  }

  /** The shutdown hook: SIGTERM to all at once, then SIGKILL to what is left after 5 s. */
  private static void stopAllStillRunning() {
    List<ProcessHandle> all =
        RUNNING.stream()
            .flatMap(p -> Stream.concat(Stream.of(p.process.toHandle()), p.process.descendants()))
            .toList();
    all.forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    for (ProcessHandle handle : all) {
      long left = deadline - System.nanoTime();
      try {
        handle.onExit().get(Math.max(0, left), TimeUnit.NANOSECONDS);
      } catch (InterruptedException | ExecutionException | TimeoutException e) {
        handle.destroyForcibly();
      }
    }
  }

  private boolean waitFor(Duration timeout) {
    try {
      return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
