package dev.modelfleet.server.artifact;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Content-addressed files: {@code <artifact-dir>/sha256/<first two hex>/<sha256>}. Uploads are
 * staged in {@code <artifact-dir>/staging} (the same file system, so the final move is a rename).
 * Replicas share the directory (a shared volume).
 */
public class FilesystemArtifactStore implements ArtifactStore {

  private final Path root;
  private final UploadStaging staging;

  public FilesystemArtifactStore(Path artifactDir) {
    this.root = artifactDir.toAbsolutePath();
    this.staging = new UploadStaging(root.resolve("staging"));
  }

  @Override
  public StagedArtifact stage(InputStream body) throws IOException {
    return staging.stage(body);
  }

  @Override
  public boolean commit(StagedArtifact staged) throws IOException {
    Path target = path(staged.sha256());
    Files.createDirectories(target.getParent());
    try {
      if (Files.exists(target)) {
        // the same bytes again: younger again, so that the garbage collector's grace period covers
        // this upload too while its row is written
        touch(target);
        return false;
      }
      Files.move(staged.file(), target, StandardCopyOption.ATOMIC_MOVE);
      return true;
    } catch (FileAlreadyExistsException concurrentSameBytes) {
      return false;
    } finally {
      Files.deleteIfExists(staged.file());
    }
  }

  @Override
  public void discard(StagedArtifact staged) {
    UploadStaging.deleteQuietly(staged.file());
  }

  @Override
  public void delete(String sha256) {
    UploadStaging.deleteQuietly(path(sha256));
  }

  private static void touch(Path file) {
    try {
      Files.setLastModifiedTime(file, FileTime.from(Instant.now()));
    } catch (IOException ignored) {
      // only shortens the grace; registering checks under the artifact's lock anyway
    }
  }

  @Override
  public List<Listed> list() throws IOException {
    Path addresses = root.resolve("sha256");
    if (!Files.isDirectory(addresses)) {
      return List.of();
    }
    List<Listed> listed = new ArrayList<>();
    try (DirectoryStream<Path> shards = Files.newDirectoryStream(addresses)) {
      for (Path shard : shards) {
        if (!Files.isDirectory(shard)) {
          continue;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(shard)) {
          for (Path file : files) {
            String name = file.getFileName().toString();
            if (!Listed.isAddress(name) || !name.startsWith(shard.getFileName().toString())) {
              continue;
            }
            try {
              BasicFileAttributes attributes =
                  Files.readAttributes(file, BasicFileAttributes.class);
              if (attributes.isRegularFile()) {
                listed.add(
                    new Listed(name, attributes.size(), attributes.lastModifiedTime().toInstant()));
              }
            } catch (NoSuchFileException goneMeanwhile) {
              // removed since the folder was read
            }
          }
        }
      }
    }
    return listed;
  }

  @Override
  public void remove(String sha256) throws IOException {
    Files.deleteIfExists(path(sha256));
  }

  @Override
  public Purged purgeUnfinished(Instant cutoff) throws IOException {
    return staging.purgeOlderThan(cutoff);
  }

  @Override
  public boolean contains(String sha256) {
    return Files.isRegularFile(path(sha256));
  }

  @Override
  public Stored open(String sha256, long offset) throws IOException {
    FileChannel channel = FileChannel.open(path(sha256), StandardOpenOption.READ);
    try {
      long size = channel.size();
      channel.position(Math.min(offset, size));
      return new Stored(size, offset, Channels.newInputStream(channel));
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  @Override
  public Optional<Path> localFile(String sha256) {
    return Optional.of(path(sha256));
  }

  @Override
  public Optional<DirectUrl> directUrl(String sha256) {
    return Optional.empty();
  }

  Path path(String sha256) {
    return root.resolve("sha256").resolve(sha256.substring(0, 2)).resolve(sha256);
  }
}
