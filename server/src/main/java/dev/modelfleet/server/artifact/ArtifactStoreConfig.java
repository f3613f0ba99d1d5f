package dev.modelfleet.server.artifact;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/** Where artifacts are stored; see docs/operations.md, "Artifacts in object storage". */
@ConfigMapping(prefix = "modelfleet.artifact-store")
public interface ArtifactStoreConfig {

  /** {@code filesystem} (modelfleet.artifact-dir) or {@code s3}. */
  @WithDefault("filesystem")
  Type type();

  /** The bucket (s3 only; required there). */
  Optional<String> bucket();

  /** Prepended to every key, e.g. {@code modelfleet/}: several fleets can share one bucket. */
  Optional<String> prefix();

  /** An S3-compatible service's address (MinIO, Ceph, S3Proxy); unset: AWS S3 of the region. */
  Optional<URI> endpoint();

  @WithDefault("us-east-1")
  String region();

  /** Bucket in the path (http://host/bucket/key), which most S3-compatible services need. */
  @WithDefault("false")
  boolean pathStyle();

  /** With secret-access-key; unset: the AWS default credentials chain (env, profile, role). */
  Optional<String> accessKeyId();

  Optional<String> secretAccessKey();

  /** Uploads above this size go up in parts of this size (multipart upload). */
  @WithDefault("16M")
  MemorySize partSize();

  /**
   * How long a presigned download URL handed to a device stays valid. Devices ask for a new one
   * through their Sync stream when it ran out.
   */
  @WithDefault("15m")
  Duration presignedUrlTtl();

  /**
   * Devices download straight from the bucket with presigned URLs; false: through the server, which
   * reads the bucket (a bucket devices cannot reach).
   */
  @WithDefault("true")
  boolean directDownloads();

  enum Type {
    FILESYSTEM,
    S3
  }
}
