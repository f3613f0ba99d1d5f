package dev.modelfleet.server.common;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One gauge per value of a label with a known, small set of values (a status, a state), all
 * registered up front: a value with no rows reads 0 instead of vanishing from the scrape.
 */
public final class LabeledGauges {

  private final Map<String, AtomicLong> values = new LinkedHashMap<>();

  public LabeledGauges(
      MeterRegistry registry, String name, String description, String label, List<String> known) {
    for (String value : known) {
      AtomicLong figure = new AtomicLong();
      values.put(value, figure);
      Gauge.builder(name, figure, AtomicLong::doubleValue)
          .description(description)
          .tag(label, value)
          .register(registry);
    }
  }

  /** Sets every known value: those missing from {@code counts} to 0; unknown ones are ignored. */
  public void set(Map<String, Long> counts) {
    values.forEach((value, figure) -> figure.set(counts.getOrDefault(value, 0L)));
  }

  /** Runs {@code select <label>, count(*) ... group by 1} and returns the counts by label. */
  public static Map<String, Long> counts(Connection connection, String sql, Object... parameters)
      throws SQLException {
    Map<String, Long> counts = new HashMap<>();
    try (PreparedStatement statement = connection.prepareStatement(sql)) {
      for (int i = 0; i < parameters.length; i++) {
        statement.setObject(i + 1, parameters[i]);
      }
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          counts.put(rows.getString(1), rows.getLong(2));
        }
      }
    }
    return counts;
  }
}
