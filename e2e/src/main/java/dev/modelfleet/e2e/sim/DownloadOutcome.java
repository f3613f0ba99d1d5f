package dev.modelfleet.e2e.sim;

/** How one download ended: {@code reasonCode} null when the artifact checked out. */
interface DownloadOutcome {
  void finished(String reasonCode, String reason);
}
