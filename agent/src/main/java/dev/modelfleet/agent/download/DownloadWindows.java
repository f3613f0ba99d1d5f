package dev.modelfleet.agent.download;

import dev.modelfleet.protocol.agent.v1.DownloadWindow;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Optional;

/**
 * The times of day a policy lets downloads run, read in one zone. A window whose end is not after
 * its start crosses midnight. Openings are computed as local dates and times, so a window keeps its
 * wall-clock hours across daylight-saving changes.
 */
record DownloadWindows(List<DownloadWindow> windows, ZoneId zone) {

  /** Whether {@code now} falls in a window (always, when there are none). */
  boolean open(Instant now) {
    if (windows.isEmpty()) {
      return true;
    }
    LocalTime local = now.atZone(zone).toLocalTime();
    int minute = local.getHour() * 60 + local.getMinute();
    for (DownloadWindow w : windows) {
      if (contains(w, minute)) {
        return true;
      }
    }
    return false;
  }

  /** The next instant after {@code now} at which a window opens; empty when always open. */
  Optional<Instant> nextOpening(Instant now) {
    if (windows.isEmpty()) {
      return Optional.empty();
    }
    ZonedDateTime local = now.atZone(zone);
    Instant best = null;
    for (DownloadWindow w : windows) {
      for (int day = 0; day <= 1; day++) {
        LocalDate date = local.toLocalDate().plusDays(day);
        Instant opening =
            ZonedDateTime.of(date, LocalTime.ofSecondOfDay(w.getStartMinute() * 60L), zone)
                .toInstant();
        if (opening.isAfter(now) && (best == null || opening.isBefore(best))) {
          best = opening;
        }
      }
    }
    return Optional.ofNullable(best);
  }

  private static boolean contains(DownloadWindow w, int minute) {
    int start = w.getStartMinute();
    int end = w.getEndMinute();
    return end > start ? minute >= start && minute < end : minute >= start || minute < end;
  }
}
