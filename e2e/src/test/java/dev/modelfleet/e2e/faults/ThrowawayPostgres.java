package dev.modelfleet.e2e.faults;

import dev.modelfleet.e2e.Ports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL cluster of a test's own (initdb into a temporary directory, a free port, trust
 * authentication), for tests that stop and start the database under a running server: the shared
 * server on 127.0.0.1:5432 is never touched. It has the roles the server expects, as
 * deploy/dev/ensure-postgres.sh makes them: {@code postgres} owns the schema and migrates it, and
 * {@code modelfleet_app} may only read and write rows.
 *
 * <p>PostgreSQL refuses to run as root, so when the tests run as root its commands run as the
 * {@code postgres} OS user (runuser), which then owns the cluster's directory.
 */
public final class ThrowawayPostgres implements AutoCloseable {

  private static final Path INSTALLED = Path.of("/usr/lib/postgresql");
  private static final long COMMAND_TIMEOUT_S = 120;

  private final Path bin;
  private final Path dir;
  private final Path data;
  private final int port;

  private ThrowawayPostgres(Path bin, Path dir, int port) {
    this.bin = bin;
    this.dir = dir;
    this.data = dir.resolve("data");
    this.port = port;
  }

  /** The newest installed PostgreSQL's programs (initdb, pg_ctl, psql), if there is one. */
  public static Optional<Path> binaries() {
    if (!Files.isDirectory(INSTALLED)) {
      return Optional.empty();
    }
    try (Stream<Path> versions = Files.list(INSTALLED)) {
      return versions
          .map(version -> version.resolve("bin"))
          .filter(bin -> Files.isExecutable(bin.resolve("initdb")))
          .filter(bin -> Files.isExecutable(bin.resolve("pg_ctl")))
          .filter(bin -> Files.isExecutable(bin.resolve("psql")))
          .max(Comparator.comparingInt(ThrowawayPostgres::majorVersion));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static int majorVersion(Path bin) {
    try {
      return Integer.parseInt(bin.getParent().getFileName().toString());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Makes a cluster with {@code database} in it and starts it. */
  public static ThrowawayPostgres start(String database) {
    Path bin =
        binaries().orElseThrow(() -> new IllegalStateException("no PostgreSQL under " + INSTALLED));
    try {
      Path dir = Files.createTempDirectory("modelfleet-postgres-");
      if (runningAsRoot()) {
        UserPrincipal postgres =
            dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
        Files.setOwner(dir, postgres);
      }
      ThrowawayPostgres cluster = new ThrowawayPostgres(bin, dir, Ports.free());
      try {
        cluster.run(
            "initdb",
            "-D",
            cluster.data.toString(),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync");
        cluster.start();
        cluster.sql("create role modelfleet_app login password 'modelfleet_app'");
        cluster.sql("create database \"" + database + "\"");
        return cluster;
      } catch (RuntimeException e) {
        cluster.close();
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return port;
  }

  public String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  /** Starts the cluster (again) and returns once it accepts connections. */
  public void start() {
    run(
        "pg_ctl",
        "-D",
        data.toString(),
        "-l",
        dir.resolve("postgres.log").toString(),
        "-w",
        "-t",
        "60",
        "-o",
        "-p "
            + port
            + " -c listen_addresses=127.0.0.1 -k "
            + dir
            + " -c fsync=off -c max_connections=40",
        "start");
  }

  /**
   * Stops the cluster as an operator's restart does ({@code pg_ctl stop -m fast}): every session is
   * ended at once, the server's pool and LISTEN connection among them.
   */
  public void stop() {
    run("pg_ctl", "-D", data.toString(), "-m", "fast", "-w", "-t", "60", "stop");
  }

  /** Runs one statement as the superuser in the {@code postgres} database. */
  public String sql(String statement) {
    return run(
        "psql",
        "-h",
        "127.0.0.1",
        "-p",
        Integer.toString(port),
        "-U",
        "postgres",
        "-d",
        "postgres",
        "-v",
        "ON_ERROR_STOP=1",
        "-tAc",
        statement);
  }

  /** The end of PostgreSQL's own log, for failure messages. */
  public String logTail() {
    try {
      List<String> lines = Files.readAllLines(dir.resolve("postgres.log"));
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    if (Files.exists(data.resolve("postmaster.pid"))) {
      try {
        run("pg_ctl", "-D", data.toString(), "-m", "immediate", "-w", "stop");
      } catch (RuntimeException e) {
        // already stopped, or nothing more to do than deleting its files
      }
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      // a temporary directory; the system cleans it up eventually
    }
  }

  private String run(String program, String... args) {
    List<String> command = new ArrayList<>();
    if (runningAsRoot()) {
      command.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    command.add(bin.resolve(program).toString());
    command.addAll(List.of(args));
    try {
      Process process =
          new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
      process.getOutputStream().close();
      // small outputs only (psql -tA, pg_ctl's lines): read to the end, then wait
      String output = new String(process.getInputStream().readAllBytes());
      if (!process.waitFor(COMMAND_TIMEOUT_S, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException(command + " did not finish in " + COMMAND_TIMEOUT_S + " s");
      }
      if (process.exitValue() != 0) {
        throw new IllegalStateException(
            command + " exited with " + process.exitValue() + ":\n" + output + "\n" + logTail());
      }
      return output.trim();
    } catch (IOException e) {
      throw new UncheckedIOException("could not run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + command, e);
    }
  }

  private static boolean runningAsRoot() {
    return "root".equals(System.getProperty("user.name"));
  }
}
