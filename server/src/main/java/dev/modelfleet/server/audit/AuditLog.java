package dev.modelfleet.server.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelfleet.server.common.Page;
import dev.modelfleet.server.common.PageRequest;
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

  /** Far above any path the API serves; a longer one is cut (see {@link #bounded}). */
  static final int MAX_PATH = 512;

  static final int MAX_METHOD = 16;

  /** An IPv6 address with a zone fits; anything longer is not an address. */
  static final int MAX_ADDRESS = 64;

  private final AgroalDataSource dataSource;
  private final ObjectMapper json;

  AuditLog(AgroalDataSource dataSource, ObjectMapper json) {
    this.dataSource = dataSource;
    this.json = json;
  }

  public void append(AuditEntry e) {
    String sql =
        "insert into audit_log (at, actor, role, remote_address, method, path, status,"
            + " target, resource_id, request_body, outcome, before_state, after_state, request_count)"
            + " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?::jsonb, ?::jsonb, ?)";
    try (Connection c = dataSource.getConnection();
        PreparedStatement s = c.prepareStatement(sql)) {
      s.setTimestamp(1, Timestamp.from(e.at()));
      s.setString(2, e.actor());
      s.setString(3, e.role());
      s.setString(4, bounded(e.remoteAddress(), MAX_ADDRESS));
      s.setString(5, bounded(e.method(), MAX_METHOD));
      s.setString(6, bounded(e.path(), MAX_PATH));
      s.setInt(7, e.status());
      s.setString(8, bounded(e.target(), MAX_PATH));
      s.setString(9, bounded(e.resourceId(), MAX_PATH));
      if (e.requestBody() == null) {
        s.setNull(10, Types.VARCHAR);
      } else {
        s.setString(10, json.writeValueAsString(e.requestBody()));
      }
      s.setString(11, e.outcome());
      s.setString(12, e.before() == null ? null : json.writeValueAsString(e.before()));
      s.setString(13, e.after() == null ? null : json.writeValueAsString(e.after()));
      s.setInt(14, e.count());
      s.executeUpdate();
    } catch (SQLException | JsonProcessingException ex) {
      throw new IllegalStateException("cannot append to the audit log", ex);
    }
  }

  /**
   * The text, or its start and how long it was. What the caller chose (the path, the method, and
   * what the path names) is stored bounded, so that no call can make an entry large; the body is
   * bounded by {@link RequestBodies}.
   */
  static String bounded(String text, int max) {
    if (text == null || text.length() <= max) {
      return text;
    }
    int end = Character.isHighSurrogate(text.charAt(max - 1)) ? max - 1 : max;
    return text.substring(0, end) + "...[" + text.length() + " chars]";
  }

  private JsonNode tree(String text) throws JsonProcessingException {
    return text == null ? null : json.readTree(text);
  }

  /** A page of the entries, newest first (by time, then id: the key descends). */
  public Page<AuditEntry> find(String actor, Instant since, PageRequest page) {
    return page.fill(
        new Class<?>[] {Instant.class, Long.class},
        (after, count) -> read(actor, since, after, count),
        e -> List.of(e.at(), e.id()),
        null);
  }

  private List<AuditEntry> read(String actor, Instant since, List<?> after, int limit) {
    StringBuilder sql =
        new StringBuilder(
            "select id, at, actor, role, remote_address, method, path, status, target, resource_id,"
                + " request_body::text, outcome, before_state::text, after_state::text, request_count"
                + " from audit_log where true");
    if (actor != null) {
      sql.append(" and actor = ?");
    }
    if (since != null) {
      sql.append(" and at >= ?");
    }
    if (after != null) {
      sql.append(" and (at, id) < (?, ?)");
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
      if (after != null) {
        s.setTimestamp(i++, Timestamp.from((Instant) after.get(0)));
        s.setLong(i++, (Long) after.get(1));
      }
      s.setInt(i, limit);
      List<AuditEntry> entries = new ArrayList<>();
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          String body = r.getString(11);
          entries.add(
              new AuditEntry(
                  r.getLong(1),
                  r.getTimestamp(2).toInstant(),
                  r.getString(3),
                  r.getString(4),
                  r.getString(5),
                  r.getString(6),
                  r.getString(7),
                  r.getInt(8),
                  r.getString(9),
                  r.getString(10),
                  body == null ? null : json.readTree(body),
                  r.getString(12),
                  tree(r.getString(13)),
                  tree(r.getString(14)),
                  r.getInt(15)));
        }
      }
      return entries;
    } catch (SQLException | JsonProcessingException ex) {
      throw new IllegalStateException("cannot read the audit log", ex);
    }
  }
}
