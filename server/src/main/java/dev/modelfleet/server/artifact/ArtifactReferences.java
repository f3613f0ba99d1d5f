package dev.modelfleet.server.artifact;

/**
 * A feature whose rows name artifacts by their sha256. The garbage collector keeps every artifact
 * any of them names, so a feature that stores bytes declares here what keeps them, and the artifact
 * feature knows none of their tables.
 */
public interface ArtifactReferences {

  /**
   * A query of one text column: the sha256 of every artifact this feature's rows name (duplicates
   * and nulls allowed). It runs inside the collector's checks, also under an artifact's lock.
   */
  String namedArtifactsQuery();
}
