package dev.modelfleet.server.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agroal.api.AgroalDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The append-only audit table. Plain JDBC in autocommit: an entry is written whether or not the
 * request's own transaction committed, and never joins it.
 */
@ApplicationScoped
public class AuditLog {

  private final AgroalDataSource dataSource;
  private final ObjectMapper json;

  AuditLog(AgroalDataSource dataSource, ObjectMapper json) {
    this.dataSource = dataSource;
    this.json = json;
  }

  public void append(AuditEntry e) {
    String sql = "insert into audit_log (at, actor, role, remote_address, method, path, status,"
        + " target, resource_id, request_body, outcome, before_state, after_state)"
        + " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?::jsonb, ?::jsonb)";
    try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
      s.setTimestamp(1, Timestamp.from(e.at()));
      s.setString(2, e.actor());
      s.setString(3, e.role());
      s.setString(4, e.remoteAddress());
      s.setString(5, e.method());
      s.setString(6, e.path());
      s.setInt(7, e.status());
      s.setString(8, e.target());
      s.setString(9, e.resourceId());
      if (e.requestBody() == null) {
        s.setNull(10, Types.VARCHAR);
      } else {
        s.setString(10, json.writeValueAsString(e.requestBody()));
      }
      s.setString(11, e.outcome());
      s.setString(12, e.before() == null ? null : json.writeValueAsString(e.before()));
      s.setString(13, e.after() == null ? null : json.writeValueAsString(e.after()));
      s.executeUpdate();
    } catch (SQLException | JsonProcessingException ex) {
      throw new IllegalStateException("cannot append to the audit log", ex);
    }
  }

  private JsonNode tree(String text) throws JsonProcessingException {
    return text == null ? null : json.readTree(text);
  }

  /** Newest first. */
  public List<AuditEntry> find(String actor, Instant since, int limit) {
    StringBuilder sql = new StringBuilder(
        "select id, at, actor, role, remote_address, method, path, status, target, resource_id,"
            + " request_body::text, outcome, before_state::text, after_state::text"
            + " from audit_log where true");
    if (actor != null) {
      sql.append(" and actor = ?");
    }
    if (since != null) {
      sql.append(" and at >= ?");
    }
    sql.append(" order by at desc, id desc limit ?");
    try (Connection c = dataSource.getConnection();
        PreparedStatement s = c.prepareStatement(sql.toString())) {
      int i = 1;
      if (actor != null) {
        s.setString(i++, actor);
      }
      if (since != null) {
        s.setTimestamp(i++, Timestamp.from(since));
      }
      s.setInt(i, limit);
      List<AuditEntry> entries = new ArrayList<>();
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          String body = r.getString(11);
          entries.add(new AuditEntry(
              r.getLong(1), r.getTimestamp(2).toInstant(), r.getString(3), r.getString(4),
              r.getString(5), r.getString(6), r.getString(7), r.getInt(8), r.getString(9),
              r.getString(10), body == null ? null : json.readTree(body), r.getString(12),
              tree(r.getString(13)), tree(r.getString(14))));
        }
      }
      return entries;
    } catch (SQLException | JsonProcessingException ex) {
      throw new IllegalStateException("cannot read the audit log", ex);
    }
  }
}
