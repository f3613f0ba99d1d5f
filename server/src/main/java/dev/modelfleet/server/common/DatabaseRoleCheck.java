package dev.modelfleet.server.common;

import io.agroal.api.AgroalDataSource;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.configuration.ConfigurationException;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.jboss.logging.Logger;

/**
 * Checks, once the schema is migrated, that the server's database role cannot undo the audit log's
 * protection: a superuser, or a member of the role that owns audit_log, could drop its append-only
 * trigger. A production server refuses to start so; dev and test only warn.
 */
@ApplicationScoped
class DatabaseRoleCheck {

  private static final Logger LOG = Logger.getLogger(DatabaseRoleCheck.class);

  private static final String QUERY =
      """
      select current_user, r.rolsuper, pg_has_role(current_user, c.relowner, 'MEMBER'),
             pg_get_userbyid(c.relowner)
        from pg_roles r, pg_class c
       where r.rolname = current_user and c.oid = 'audit_log'::regclass""";

  void check(
      @Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent started,
      AgroalDataSource dataSource)
      throws SQLException {
    String problem = problem(dataSource);
    if (problem == null) {
      return;
    }
    if (!LaunchMode.current().isDevOrTest()) {
      throw new ConfigurationException("ModelFleet refuses to start in production: " + problem);
    }
    LOG.warn(problem);
  }

  private static String problem(AgroalDataSource dataSource) throws SQLException {
    try (Connection connection = dataSource.getConnection();
        Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery(QUERY)) {
      row.next();
      String role = row.getString(1);
      boolean superuser = row.getBoolean(2);
      boolean owner = row.getBoolean(3);
      if (!superuser && !owner) {
        return null;
      }
      return "the server connects to PostgreSQL as "
          + role
          + ", which "
          + (superuser ? "is a superuser" : "owns audit_log (as " + row.getString(4) + ")")
          + " and so could drop the audit log's append-only trigger. Run the server as a role"
          + " that may only read and write rows (QUARKUS_DATASOURCE_USERNAME, default"
          + " modelfleet_app) and migrate as the schema's owner (QUARKUS_FLYWAY_USERNAME and"
          + " QUARKUS_FLYWAY_PASSWORD); deploy/server/database.sql creates both roles. See"
          + " docs/operations.md, Database roles.";
    }
  }
}
