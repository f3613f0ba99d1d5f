package dev.modelfleet.server.cluster;

import java.util.UUID;

/**
 * What a replica does with changes other replicas committed. The agent API implements it for the
 * device streams it holds; {@link ClusterListener} calls it on its own thread, so an implementation
 * hands slow work (database reads) to threads of its own.
 */
public interface ClusterNoticeHandler {

  void desiredStateChanged(UUID deviceId, long generation);

  void decommissioned(UUID deviceId);

  /** A root metadata version was published: send it to every local stream. */
  void rootPublished(long version);

  /** A pending device was approved: tell its stream and send its desired state. */
  void approved(UUID deviceId);

  /** A pending device was rejected: end its stream. */
  void rejected(UUID deviceId);

  /**
   * Notices may have been missed (before the listener first connected, or while it was
   * disconnected): bring every local stream up to date from the database.
   *
   * @return how many local streams were checked
   */
  int catchUp();
}
