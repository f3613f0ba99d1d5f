package dev.modelfleet.server.cluster;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.Properties;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Listens for the changes other replicas commit, on one connection of its own on one daemon thread.
 * The connection is opened with the datasource's settings rather than borrowed from the pool: a
 * LISTEN lives as long as its session, and a pooled connection held forever would shrink the pool
 * for good. When the connection drops, notices sent meanwhile are lost, so after every (re)connect
 * the handler catches up from the database.
 */
@ApplicationScoped
public class ClusterListener {

  private static final Logger LOG = Logger.getLogger(ClusterListener.class);
  private static final int POLL_MS = 500;
  // a half-open TCP connection delivers nothing and reports nothing; a query finds out
  private static final long PROBE_AFTER_IDLE_NANOS = 15_000_000_000L;
  private static final long FIRST_RETRY_MS = 250;
  private static final long LONGEST_RETRY_MS = 30_000;

  private final ClusterNoticeHandler handler;
  private final Event<RolloutChangeHeard> rolloutChanges;
  private final String url;
  private final Optional<String> user;
  private final Optional<String> password;
  private volatile boolean running;
  private volatile boolean listening;
  private volatile int backendPid;
  private Thread thread;

  ClusterListener(
      ClusterNoticeHandler handler,
      Event<RolloutChangeHeard> rolloutChanges,
      @ConfigProperty(name = "quarkus.datasource.jdbc.url") String url,
      @ConfigProperty(name = "quarkus.datasource.username") Optional<String> user,
      @ConfigProperty(name = "quarkus.datasource.password") Optional<String> password) {
    this.handler = handler;
    this.rolloutChanges = rolloutChanges;
    this.url = url;
    this.user = user;
    this.password = password;
  }

  void start(@Observes StartupEvent started) {
    running = true;
    thread = new Thread(this::run, "cluster-listener");
    thread.setDaemon(true);
    thread.start();
  }

  void stop(@Observes ShutdownEvent stopping) throws InterruptedException {
    running = false;
    if (thread != null) {
      thread.interrupt();
      thread.join(2 * POLL_MS + 1_000);
    }
  }

  /** Whether notices reach this replica now. */
  boolean listening() {
    return listening;
  }

  /** The PostgreSQL backend of the listening session, for operators and tests; 0 when none. */
  int backendPid() {
    return backendPid;
  }

  private void run() {
    long retryMs = FIRST_RETRY_MS;
    long lostAtNanos = 0;
    while (running) {
      try (Connection connection = connect()) {
        listen(connection);
        retryMs = FIRST_RETRY_MS;
        // listening before catching up: a change committed from here on is either in what
        // catchUp reads or arrives as a notice (or both, which costs a skipped generation)
        int streams = handler.catchUp();
        rolloutChanges.fire(RolloutChangeHeard.ANY);
        if (lostAtNanos != 0) {
          LOG.infof(
              "cluster listener reconnected after %d ms; re-sent the current desired state"
                  + " where behind to the %d streams on this replica",
              (System.nanoTime() - lostAtNanos) / 1_000_000, streams);
          lostAtNanos = 0;
        }
        receive(connection);
      } catch (SQLException | RuntimeException e) {
        listening = false;
        backendPid = 0;
        if (!running) {
          return;
        }
        if (lostAtNanos == 0) {
          lostAtNanos = System.nanoTime();
        }
        LOG.warnf(
            "cluster listener has no connection (%s); desired-state changes made on other"
                + " replicas reach this one's devices only after it reconnects, retrying in %d ms",
            e.getMessage(), retryMs);
        if (!sleep(retryMs)) {
          return;
        }
        retryMs = Math.min(retryMs * 2, LONGEST_RETRY_MS);
      }
    }
  }

  private Connection connect() throws SQLException {
    Properties properties = new Properties();
    user.ifPresent(u -> properties.setProperty("user", u));
    password.ifPresent(p -> properties.setProperty("password", p));
    properties.setProperty("ApplicationName", "modelfleet-cluster-listener");
    properties.setProperty("tcpKeepAlive", "true");
    properties.setProperty("connectTimeout", "10");
    properties.setProperty("socketTimeout", "30");
    return DriverManager.getConnection(url, properties);
  }

  private void listen(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      statement.execute("listen " + ClusterChannels.DESIRED_STATE);
      statement.execute("listen " + ClusterChannels.DECOMMISSIONED);
      statement.execute("listen " + ClusterChannels.ROOT_METADATA);
      statement.execute("listen " + ClusterChannels.APPROVED);
      statement.execute("listen " + ClusterChannels.REJECTED);
      statement.execute("listen " + ClusterChannels.ROLLOUT_CHANGED);
      try (var rows = statement.executeQuery("select pg_backend_pid()")) {
        rows.next();
        backendPid = rows.getInt(1);
      }
    }
    listening = true;
  }

  private void receive(Connection connection) throws SQLException {
    PGConnection notices = connection.unwrap(PGConnection.class);
    long lastHeardNanos = System.nanoTime();
    while (running) {
      PGNotification[] batch = notices.getNotifications(POLL_MS);
      if (batch != null && batch.length > 0) {
        for (PGNotification notice : batch) {
          dispatch(notice);
        }
        lastHeardNanos = System.nanoTime();
      } else if (System.nanoTime() - lastHeardNanos > PROBE_AFTER_IDLE_NANOS) {
        try (Statement probe = connection.createStatement()) {
          probe.execute("select 1");
        }
        lastHeardNanos = System.nanoTime();
      }
    }
  }

  private void dispatch(PGNotification notice) {
    try {
      switch (notice.getName()) {
        case ClusterChannels.DESIRED_STATE ->
            ClusterChannels.parseDesiredState(notice.getParameter())
                .ifPresentOrElse(
                    n -> handler.desiredStateChanged(n.deviceId(), n.generation()),
                    () -> LOG.debugf("ignored desired-state notice '%s'", notice.getParameter()));
        case ClusterChannels.DECOMMISSIONED ->
            ClusterChannels.parseDevice(notice.getParameter()).ifPresent(handler::decommissioned);
        case ClusterChannels.ROOT_METADATA ->
            handler.rootPublished(Long.parseLong(notice.getParameter()));
        case ClusterChannels.APPROVED ->
            ClusterChannels.parseDevice(notice.getParameter()).ifPresent(handler::approved);
        case ClusterChannels.REJECTED ->
            ClusterChannels.parseDevice(notice.getParameter()).ifPresent(handler::rejected);
        case ClusterChannels.ROLLOUT_CHANGED ->
            ClusterChannels.parseDevice(notice.getParameter())
                .ifPresent(id -> rolloutChanges.fire(new RolloutChangeHeard(id)));
        default -> {}
      }
    } catch (RuntimeException e) {
      // one notice going wrong must not cost the connection and every notice after it
      LOG.warnf(e, "cluster notice %s '%s' failed", notice.getName(), notice.getParameter());
    }
  }

  private static boolean sleep(long ms) {
    try {
      Thread.sleep(ms);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
