package dev.modelfleet.server.signing;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.modelfleet.protocol.agent.v1.RootMetadata;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every published root metadata version ({@code root-<version>.pb}) and the draft of the next one
 * ({@code root-draft.pb}) in the shared key directory, beside the keys they certify: a version is
 * published with a hard link, so two replicas can never publish two different documents as the same
 * version, and every replica serves the same chain.
 */
final class RootChainFiles {

  private static final Pattern VERSION_FILE = Pattern.compile("root-(\\d+)\\.pb");
  private static final String DRAFT_FILE = "root-draft.pb";

  private final KeyDirectory dir;

  RootChainFiles(KeyDirectory dir) {
    this.dir = dir;
  }

  /** The chain, oldest first; empty before the first version. */
  List<SignedEnvelope> load() {
    TreeMap<Long, Path> versions = new TreeMap<>();
    try (var files = Files.list(dir.path())) {
      files.forEach(
          f -> {
            Matcher m = VERSION_FILE.matcher(f.getFileName().toString());
            if (m.matches()) {
              versions.put(Long.parseLong(m.group(1)), f);
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list key directory " + dir.path(), e);
    }
    List<SignedEnvelope> chain = new ArrayList<>();
    long expected = versions.isEmpty() ? 0 : versions.firstKey();
    for (var entry : versions.entrySet()) {
      if (entry.getKey() != expected) {
        throw new IllegalStateException(
            "root metadata version "
                + expected
                + " is missing from "
                + dir.path()
                + " (found "
                + versions.keySet()
                + "); restore it from a backup");
      }
      SignedEnvelope envelope = read(entry.getValue());
      if (version(envelope) != expected) {
        throw new IllegalStateException(entry.getValue() + " does not hold version " + expected);
      }
      chain.add(envelope);
      expected++;
    }
    return chain;
  }

  boolean exists(long version) {
    return Files.exists(dir.path().resolve(fileName(version)));
  }

  /** False when that version exists already (published by another replica meanwhile). */
  boolean publish(SignedEnvelope envelope) {
    try {
      return dir.publishIfAbsent(fileName(version(envelope)), envelope.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot publish root metadata in " + dir.path(), e);
    }
  }

  Optional<SignedEnvelope> draft() {
    Path file = dir.path().resolve(DRAFT_FILE);
    return Files.exists(file) ? Optional.of(read(file)) : Optional.empty();
  }

  void saveDraft(SignedEnvelope draft) {
    try {
      dir.replace(DRAFT_FILE, draft.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot store the root draft in " + dir.path(), e);
    }
  }

  void deleteDraft() {
    try {
      Files.deleteIfExists(dir.path().resolve(DRAFT_FILE));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete the root draft in " + dir.path(), e);
    }
  }

  static long version(SignedEnvelope envelope) {
    return metadata(envelope).getVersion();
  }

  static RootMetadata metadata(SignedEnvelope envelope) {
    try {
      return RootMetadata.parseFrom(envelope.getPayload());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("stored root metadata does not parse", e);
    }
  }

  private static String fileName(long version) {
    return "root-" + version + ".pb";
  }

  private static SignedEnvelope read(Path file) {
    try {
      return SignedEnvelope.parseFrom(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}
