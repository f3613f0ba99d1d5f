package dev.modelfleet.server.support;

import dev.modelfleet.server.delta.CompressionMaking;
import dev.modelfleet.server.delta.DeltaMaking;
import io.agroal.api.AgroalDataSource;
import io.quarkus.arc.Arc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.eclipse.microprofile.config.ConfigProvider;

/** Snapshots of what is stored, to prove a refused request changed nothing. */
public final class Db {

  private static final String[] TABLES = {
    "enrollment_tokens",
    "devices",
    "models",
    "model_versions",
    "artifacts",
    "variants",
    "device_desired_states",
    "desired_models",
    "deployment_statuses",
    "hardware_classes",
    "trials",
    "trial_devices",
    "trial_results",
    "provider_mismatches",
    "rollouts",
    "rollout_waves",
    "rollout_devices",
    "rollout_events",
    "deployment_history",
    "derivation_jobs",
    "derived_variants",
    "derivation_policies",
    "download_policies"
  };

  private Db() {}

  /**
   * Row counts of every table plus the artifact files on disk, once the background makers have
   * weighed everything published so far: a compressed copy or delta of a variant an earlier step
   * published lands in the store on its own thread, and would otherwise show up between two
   * snapshots as if the request in between had stored it.
   */
  public static Map<String, Object> snapshot() {
    var deltas = Arc.container().instance(DeltaMaking.class).get();
    var compressions = Arc.container().instance(CompressionMaking.class).get();
    Eventually.until(
        "the delta and compression makers are idle",
        java.time.Duration.ofSeconds(60),
        () -> deltas.idle() && compressions.idle());
    Map<String, Object> state = new LinkedHashMap<>();
    AgroalDataSource dataSource = Arc.container().instance(AgroalDataSource.class).get();
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement()) {
      for (String table : TABLES) {
        try (ResultSet r = s.executeQuery("select count(*) from " + table)) {
          r.next();
          state.put(table, r.getLong(1));
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    state.put("artifact files", artifactFiles());
    return state;
  }

  /** The single number a query such as {@code select count(*) ...} returns. */
  public static long number(String sql) {
    AgroalDataSource dataSource = Arc.container().instance(AgroalDataSource.class).get();
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery(sql)) {
      r.next();
      return r.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  public static void execute(String sql, Object... params) {
    AgroalDataSource dataSource = Arc.container().instance(AgroalDataSource.class).get();
    try (Connection c = dataSource.getConnection();
        var s = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        s.setObject(i + 1, params[i]);
      }
      s.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Every file under the artifact directory, staging area included. */
  public static Set<String> artifactFiles() {
    Path root =
        Path.of(ConfigProvider.getConfig().getValue("modelfleet.artifact-dir", String.class));
    if (!Files.exists(root)) {
      return Set.of();
    }
    try (Stream<Path> files = Files.walk(root)) {
      Set<String> names = new TreeSet<>();
      files.filter(Files::isRegularFile).forEach(p -> names.add(root.relativize(p).toString()));
      return names;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
