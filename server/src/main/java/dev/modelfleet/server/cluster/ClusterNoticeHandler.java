package dev.modelfleet.server.cluster;

import java.util.UUID;

/**
 * What a replica does with changes other replicas committed. The agent API implements it for
 * the device streams it holds; {@link ClusterListener} calls it on its own thread, so an
 * implementation hands slow work (database reads) to threads of its own.
 */
public interface ClusterNoticeHandler {

  void desiredStateChanged(UUID deviceId, long generation);

  void decommissioned(UUID deviceId);

  /** A root metadata version was published: send it to every local stream. */
  void rootPublished(long version);

  /**
   * Notices may have been missed (before the listener first connected, or while it was
   * disconnected): bring every local stream up to date from the database.
   *
   * @return how many local streams were checked
   */
  int catchUp();
}
