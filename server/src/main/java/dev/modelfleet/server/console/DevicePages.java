package dev.modelfleet.server.console;

import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.device.DeviceStatus;
import dev.modelfleet.server.device.LabelSelector;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Pages through the fleet in enrollment order with a cursor (the last row's enrollment time and
 * id), reading only the columns the list shows: the first page of 50,000 devices costs one index
 * scan, not a load of every row. Label selectors are tested as {@code DeviceService.find} tests
 * them, on batches read until the page is full.
 */
@ApplicationScoped
public class DevicePages {

  static final int PAGE = 50;
  private static final int BATCH = 500;

  public record Row(
      UUID id,
      String name,
      Map<String, String> labels,
      String status,
      Instant lastSeenAt,
      String hardwareClassId,
      Instant enrolledAt) {}

  /** {@code next} is the cursor of the following page, null on the last one. */
  public record Page(List<Row> rows, String next) {}

  @Transactional
  @SuppressWarnings("unchecked")
  public Page page(String selector, String status, String after) {
    LabelSelector labels = LabelSelector.parse(selector == null ? "" : selector);
    DeviceStatus wanted = null;
    if (status != null && !status.isBlank()) {
      wanted =
          DeviceStatus.parse(status)
              .orElseThrow(
                  () ->
                      ApiError.INVALID_REQUEST.exception(
                          "Status '"
                              + status
                              + "' is not one of pending, active, rejected,"
                              + " decommissioned."));
    }
    Instant cursorAt = null;
    UUID cursorId = null;
    if (after != null && !after.isBlank()) {
      int split = after.indexOf('_');
      try {
        cursorAt = Instant.parse(after.substring(0, split));
        cursorId = UUID.fromString(after.substring(split + 1));
      } catch (RuntimeException e) {
        throw ApiError.INVALID_REQUEST.exception("The page cursor '" + after + "' is not valid.");
      }
    }
    List<Row> rows = new ArrayList<>();
    boolean more = true;
    while (rows.size() <= PAGE && more) {
      StringBuilder q =
          new StringBuilder(
              "select d.id, d.name, d.labels, d.status, d.lastSeenAt, d.hardwareClassId,"
                  + " d.enrolledAt from Device d where 1 = 1");
      if (wanted != null) {
        q.append(" and d.status = :status");
      }
      if (cursorAt != null) {
        q.append(" and (d.enrolledAt > :at or (d.enrolledAt = :at and d.id > :id))");
      }
      q.append(" order by d.enrolledAt, d.id");
      var query = Panache.getEntityManager().createQuery(q.toString(), Object[].class);
      if (wanted != null) {
        query.setParameter("status", wanted);
      }
      if (cursorAt != null) {
        query.setParameter("at", cursorAt).setParameter("id", cursorId);
      }
      List<Object[]> batch = query.setMaxResults(BATCH).getResultList();
      more = batch.size() == BATCH;
      for (Object[] r : batch) {
        cursorAt = (Instant) r[6];
        cursorId = (UUID) r[0];
        Map<String, String> l = (Map<String, String>) r[2];
        if (labels.test(l == null ? Map.of() : l)) {
          rows.add(
              new Row(
                  (UUID) r[0],
                  (String) r[1],
                  l == null ? Map.of() : l,
                  ((DeviceStatus) r[3]).value(),
                  (Instant) r[4],
                  (String) r[5],
                  (Instant) r[6]));
          if (rows.size() > PAGE) {
            break;
          }
        }
      }
    }
    String next = null;
    if (rows.size() > PAGE) {
      rows = rows.subList(0, PAGE);
      Row last = rows.get(PAGE - 1);
      next = last.enrolledAt() + "_" + last.id();
    }
    return new Page(rows, next);
  }
}
