package dev.modelfleet.agent.download;

/** A fetch failure, classified the way the protocol tells the agent to react to it. */
public class ArtifactFetchException extends Exception {

  public enum Kind {
    /** Not there or not assigned to this device: drop the download. */
    NOT_FOUND,
    /** Offset beyond the artifact: discard the partial file and start again from 0. */
    OUT_OF_RANGE,
    /** Transport trouble: resume later from the bytes already written. */
    RETRYABLE,
    /** Credential refused or a request the server calls malformed: do not retry. */
    FATAL
  }

  private final Kind kind;

  public ArtifactFetchException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
