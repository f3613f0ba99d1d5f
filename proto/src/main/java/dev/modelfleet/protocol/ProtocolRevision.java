package dev.modelfleet.protocol;

/**
 * The revision of the agent protocol this build speaks, on both sides. It grows when a change would
 * leave an older peer unable to work (a message it must understand), not for additive fields
 * protobuf already makes compatible. The server names its revision in the response header {@value
 * #HEADER} of every AgentService call; an agent release declares the lowest revision it needs
 * ({@code ModelFleet-Min-Protocol} in its jar, {@code VariantManifest.min_protocol}), so that no
 * device installs an agent that could not talk to its server.
 */
public final class ProtocolRevision {

  /**
   * The revision of this build. 2: the server's HTTP and HTTPS artifact paths answer closed ranges
   * ({@code Range: bytes=<from>-<to>}), which an agent under a download budget asks for.
   */
  public static final int CURRENT = 2;

  /** From this revision on the server's artifact paths answer closed ranges. */
  public static final int CLOSED_RANGES = 2;

  /** What a peer that does not say speaks: the revision before revisions were named. */
  public static final int UNNAMED = 1;

  /** The gRPC response header (metadata key) that carries the server's revision. */
  public static final String HEADER = "modelfleet-protocol";

  private ProtocolRevision() {}

  /** The revision in a header value; {@link #UNNAMED} when absent or not a positive number. */
  public static int parse(String header) {
    if (header == null) {
      return UNNAMED;
    }
    try {
      int revision = Integer.parseInt(header.trim());
      return revision > 0 ? revision : UNNAMED;
    } catch (NumberFormatException e) {
      return UNNAMED;
    }
  }
}
