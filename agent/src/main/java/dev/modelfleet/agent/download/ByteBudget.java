package dev.modelfleet.agent.download;

import dev.modelfleet.agent.state.SecureFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDate;
import java.util.logging.Logger;

/**
 * The bytes downloaded on one local day, kept in the state directory so that a restart does not
 * hand out the day's budget again. Written at most every {@link #PERSIST_EVERY} bytes and whenever
 * a download pauses or ends, so a power cut costs at most that much over the budget.
 */
final class ByteBudget {

  static final long PERSIST_EVERY = 1 << 20;

  private static final Logger LOG = Logger.getLogger(ByteBudget.class.getName());

  private final Path file;
  private LocalDate day;
  private long used;
  private long persistedUsed;

  ByteBudget(Path file) {
    this.file = file;
    read();
  }

  /** Bytes counted on {@code today} (0 once the day changed). */
  synchronized long used(LocalDate today) {
    rollOver(today);
    return used;
  }

  synchronized void add(LocalDate today, long bytes) {
    rollOver(today);
    used += bytes;
    if (used - persistedUsed >= PERSIST_EVERY) {
      persist();
    }
  }

  synchronized void persist() {
    if (file == null || day == null) {
      return;
    }
    try {
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(tmp, day + " " + used + "\n", StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      SecureFiles.syncDirectory(file.toAbsolutePath().getParent());
      persistedUsed = used;
    } catch (IOException e) {
      LOG.warning("could not record the day's downloaded bytes in " + file + ": " + e);
    }
  }

  private void rollOver(LocalDate today) {
    if (!today.equals(day)) {
      day = today;
      used = 0;
      persistedUsed = -PERSIST_EVERY;
    }
  }

  private void read() {
    if (file == null || !Files.exists(file)) {
      return;
    }
    try {
      String[] parts = Files.readString(file, StandardCharsets.UTF_8).trim().split(" ");
      day = LocalDate.parse(parts[0]);
      used = Long.parseLong(parts[1]);
      persistedUsed = used;
    } catch (IOException | RuntimeException e) {
      // A torn or foreign file: count from zero rather than refuse to download at all.
      LOG.warning("ignoring unreadable " + file + ": " + e);
    }
  }
}
