package dev.modelfleet.server.artifact;

import java.nio.file.Path;

/** An upload written to a temporary file and hashed, not yet in the store. */
public record StagedArtifact(Path file, String sha256, long size) {}
