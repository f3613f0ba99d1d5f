package dev.modelfleet.server.common;

import io.agroal.api.AgroalDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Refreshes every {@link FleetGauges} every 5 s on a daemon thread: a few aggregate queries (a
 * count per status), cheap at 50,000 devices, and independent of how often Prometheus scrapes.
 */
@ApplicationScoped
public class FleetGaugeRefresh {

  private static final Logger LOG = Logger.getLogger(FleetGaugeRefresh.class);
  static final long PERIOD_MS = 5_000;

  private final AgroalDataSource dataSource;
  private final Instance<FleetGauges> gauges;
  private ScheduledExecutorService scheduler;
  private boolean failing;

  FleetGaugeRefresh(AgroalDataSource dataSource, Instance<FleetGauges> gauges) {
    this.dataSource = dataSource;
    this.gauges = gauges;
  }

  void start(@Observes StartupEvent started) {
    scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread thread = new Thread(r, "fleet-gauges");
              thread.setDaemon(true);
              return thread;
            });
    scheduler.scheduleWithFixedDelay(this::refreshQuietly, 0, PERIOD_MS, TimeUnit.MILLISECONDS);
  }

  void stop(@Observes ShutdownEvent stopping) {
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
  }

  /** Reads every feature's figures now. */
  public void refresh() throws SQLException {
    try (Connection connection = dataSource.getConnection()) {
      connection.setReadOnly(true);
      for (FleetGauges source : gauges) {
        source.refresh(connection);
      }
    }
  }

  private void refreshQuietly() {
    try {
      refresh();
      if (failing) {
        LOG.info("fleet gauges are refreshed again");
        failing = false;
      }
    } catch (SQLException | RuntimeException e) {
      // the gauges keep their last figures; say so once per outage, not every 5 s
      if (!failing) {
        LOG.warnf(
            "fleet gauges could not be refreshed (%s); they show older figures", e.getMessage());
        failing = true;
      }
    }
  }
}
