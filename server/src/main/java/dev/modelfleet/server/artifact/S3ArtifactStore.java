package dev.modelfleet.server.artifact;

import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.common.ApiException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.NoSuchUploadException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * Artifacts in an S3-compatible bucket under {@code <prefix>sha256/<first two hex>/<sha256>}.
 *
 * <p>Nothing half-stored is ever visible under an address: a small artifact goes up in one
 * PutObject, which S3 makes visible whole or not at all; a large one as a multipart upload, which
 * is invisible until completed and aborted on any failure (one left behind by a killed replica
 * stays invisible; a bucket lifecycle rule removes it, see docs/operations.md). Every replica
 * sharing the bucket sees an artifact as soon as its upload completed.
 *
 * <p>Checksums are computed only where S3 requires them: the SDK's newer default (a CRC trailer on
 * every upload) is not understood by every S3-compatible service, and the artifact's sha256 is
 * checked by every device anyway.
 */
public class S3ArtifactStore implements ArtifactStore, AutoCloseable {

  private static final Logger LOG = Logger.getLogger(S3ArtifactStore.class);

  private final S3Client s3;
  private final S3Presigner presigner;
  private final String bucket;
  private final String prefix;
  private final long partSize;
  private final Duration urlTtl;
  private final boolean directDownloads;
  private final UploadStaging staging;
  private final Clock clock;

  S3ArtifactStore(
      S3Client s3,
      S3Presigner presigner,
      ArtifactStoreConfig config,
      Path stagingDir,
      Clock clock) {
    this.s3 = s3;
    this.presigner = presigner;
    this.bucket =
        config
            .bucket()
            .filter(b -> !b.isBlank())
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "modelfleet.artifact-store.type=s3 needs"
                            + " modelfleet.artifact-store.bucket (MODELFLEET_ARTIFACT_STORE_BUCKET)"));
    this.prefix = config.prefix().orElse("");
    // S3 refuses parts under 5 MiB (all but the last).
    this.partSize = Math.max(5L << 20, config.partSize().asLongValue());
    this.urlTtl = config.presignedUrlTtl();
    this.directDownloads = config.directDownloads();
    this.staging = new UploadStaging(stagingDir);
    this.clock = clock;
  }

  static S3ArtifactStore create(ArtifactStoreConfig config, Path stagingDir) {
    Region region = Region.of(config.region());
    AwsCredentialsProvider credentials =
        config.accessKeyId().isPresent() && config.secretAccessKey().isPresent()
            ? StaticCredentialsProvider.create(
                AwsBasicCredentials.create(
                    config.accessKeyId().get(), config.secretAccessKey().get()))
            : DefaultCredentialsProvider.builder().build();
    var client =
        S3Client.builder()
            .httpClientBuilder(
                UrlConnectionHttpClient.builder()
                    .connectionTimeout(Duration.ofSeconds(5))
                    .socketTimeout(Duration.ofSeconds(60)))
            .region(region)
            .credentialsProvider(credentials)
            .forcePathStyle(config.pathStyle())
            .requestChecksumCalculation(
                software.amazon.awssdk.core.checksums.RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(
                software.amazon.awssdk.core.checksums.ResponseChecksumValidation.WHEN_REQUIRED);
    var presigner =
        S3Presigner.builder()
            .region(region)
            .credentialsProvider(credentials)
            .serviceConfiguration(
                S3Configuration.builder().pathStyleAccessEnabled(config.pathStyle()).build());
    config.endpoint().ifPresent(client::endpointOverride);
    config.endpoint().ifPresent(presigner::endpointOverride);
    return new S3ArtifactStore(
        client.build(), presigner.build(), config, stagingDir, Clock.systemUTC());
  }

  @Override
  public StagedArtifact stage(InputStream body) throws IOException {
    return staging.stage(body);
  }

  @Override
  public boolean commit(StagedArtifact staged) {
    String key = key(staged.sha256());
    try {
      if (exists(key)) {
        return false;
      }
      if (staged.size() <= partSize) {
        s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromFile(staged.file()));
      } else {
        uploadInParts(key, staged);
      }
      return true;
    } catch (SdkException e) {
      throw unavailable("storing the upload", e);
    }
  }

  /** A multipart upload, aborted on any failure so that nothing of it ever becomes visible. */
  private void uploadInParts(String key, StagedArtifact staged) {
    String uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key(key)).uploadId();
    try {
      List<CompletedPart> parts = new ArrayList<>();
      long size = staged.size();
      int number = 1;
      for (long position = 0; position < size; position += partSize, number++) {
        long length = Math.min(partSize, size - position);
        int partNumber = number;
        String etag =
            s3.uploadPart(
                    b ->
                        b.bucket(bucket)
                            .key(key)
                            .uploadId(uploadId)
                            .partNumber(partNumber)
                            .contentLength(length),
                    RequestBody.fromContentProvider(
                        slice(staged.file(), position, length), length, "application/octet-stream"))
                .eTag();
        parts.add(CompletedPart.builder().partNumber(partNumber).eTag(etag).build());
      }
      s3.completeMultipartUpload(
          b -> b.bucket(bucket).key(key).uploadId(uploadId).multipartUpload(m -> m.parts(parts)));
    } catch (RuntimeException e) {
      abort(key, uploadId, e);
      throw e;
    }
  }

  /**
   * Aborts a multipart upload, a few times if need be: the connection a part failed on can be left
   * half-written, and the request after it then fails too (a 400 without an S3 error code). An
   * upload that cannot be aborted stays invisible; the bucket's lifecycle rule removes it.
   */
  private void abort(String key, String uploadId, RuntimeException cause) {
    for (int attempt = 1; attempt <= 3; attempt++) {
      try {
        s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId));
        return;
      } catch (NoSuchUploadException gone) {
        return;
      } catch (SdkException abortFailed) {
        if (attempt == 3) {
          cause.addSuppressed(abortFailed);
          LOG.warnf(
              "could not abort the multipart upload %s of %s in bucket %s; it stays invisible",
              uploadId, key, bucket);
        }
      }
    }
  }

  /** One part of the staged file, opened afresh for every attempt (the SDK may retry a part). */
  private static ContentStreamProvider slice(Path file, long position, long length) {
    return () -> {
      try {
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        if (channel.size() < position + length) {
          // found before the request goes out, so the connection stays usable for the abort
          channel.close();
          throw new IOException("the staged upload is shorter than its recorded size");
        }
        channel.position(position);
        return new BoundedInputStream(Channels.newInputStream(channel), length);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    };
  }

  @Override
  public void discard(StagedArtifact staged) {
    UploadStaging.deleteQuietly(staged.file());
  }

  @Override
  public void delete(String sha256) {
    try {
      s3.deleteObject(b -> b.bucket(bucket).key(key(sha256)));
    } catch (SdkException e) {
      // an unreferenced object wastes space but harms nothing; garbage collection finds it
      LOG.warnf("could not delete artifact %s from bucket %s: %s", sha256, bucket, e.getMessage());
    }
  }

  @Override
  public List<Listed> list() throws IOException {
    String addresses = prefix + "sha256/";
    List<Listed> listed = new ArrayList<>();
    try {
      for (S3Object object :
          s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(addresses)).contents()) {
        String name = object.key().substring(object.key().lastIndexOf('/') + 1);
        if (Listed.isAddress(name) && object.key().equals(key(name))) {
          listed.add(new Listed(name, object.size(), object.lastModified()));
        }
      }
    } catch (SdkException e) {
      throw new IOException("listing bucket " + bucket + " failed: " + e.getMessage(), e);
    }
    return listed;
  }

  @Override
  public void remove(String sha256) throws IOException {
    try {
      s3.deleteObject(b -> b.bucket(bucket).key(key(sha256)));
    } catch (SdkException e) {
      throw new IOException(
          "deleting " + key(sha256) + " from bucket " + bucket + " failed: " + e.getMessage(), e);
    }
  }

  /**
   * Local staged files, and multipart uploads under this store's prefix begun before the cutoff: a
   * replica killed mid-upload leaves one, invisible but billed. Their size is not counted (it would
   * take a request per upload).
   */
  @Override
  public Purged purgeUnfinished(Instant cutoff) throws IOException {
    Purged purged = staging.purgeOlderThan(cutoff);
    int aborted = 0;
    try {
      for (MultipartUpload upload :
          s3.listMultipartUploadsPaginator(b -> b.bucket(bucket).prefix(prefix + "sha256/"))
              .uploads()) {
        // an upload without a start date cannot be judged: left to the bucket's lifecycle rule
        if (upload.initiated() != null && upload.initiated().isBefore(cutoff)) {
          try {
            s3.abortMultipartUpload(
                b -> b.bucket(bucket).key(upload.key()).uploadId(upload.uploadId()));
            aborted++;
          } catch (NoSuchUploadException finishedMeanwhile) {
            // completed or aborted since the listing
          }
        }
      }
    } catch (SdkException e) {
      throw new IOException(
          "aborting unfinished uploads in bucket " + bucket + " failed: " + e.getMessage(), e);
    }
    return purged.plus(new Purged(aborted, 0));
  }

  @Override
  public boolean contains(String sha256) {
    try {
      return exists(key(sha256));
    } catch (SdkException e) {
      throw unavailable("looking up an artifact", e);
    }
  }

  private boolean exists(String key) {
    try {
      s3.headObject(b -> b.bucket(bucket).key(key));
      return true;
    } catch (NoSuchKeyException e) {
      return false;
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return false;
      }
      throw e;
    }
  }

  @Override
  public Stored open(String sha256, long offset) throws IOException {
    String key = key(sha256);
    try {
      var body =
          s3.getObject(
              b -> b.bucket(bucket).key(key).range(offset > 0 ? "bytes=" + offset + "-" : null),
              ResponseTransformer.toInputStream());
      return new Stored(totalSize(body.response(), offset), offset, body);
    } catch (NoSuchKeyException e) {
      throw new NoSuchFileException(key);
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        throw new NoSuchFileException(key);
      }
      if (e.statusCode() == 416) {
        // the offset is at (or past) the end: nothing left to send
        long size = s3.headObject(b -> b.bucket(bucket).key(key)).contentLength();
        return new Stored(size, offset, InputStream.nullInputStream());
      }
      throw unavailable("reading an artifact", e);
    } catch (SdkException e) {
      throw unavailable("reading an artifact", e);
    }
  }

  private static long totalSize(GetObjectResponse response, long offset) {
    String range = response.contentRange();
    if (range != null && range.lastIndexOf('/') > 0) {
      return Long.parseLong(range.substring(range.lastIndexOf('/') + 1).trim());
    }
    return offset + response.contentLength();
  }

  @Override
  public Optional<Path> localFile(String sha256) {
    return Optional.empty();
  }

  @Override
  public Optional<DirectUrl> directUrl(String sha256) {
    if (!directDownloads) {
      return Optional.empty();
    }
    long expiresAt = clock.millis() + urlTtl.toMillis();
    var presigned =
        presigner.presignGetObject(
            p ->
                p.signatureDuration(urlTtl)
                    .getObjectRequest(g -> g.bucket(bucket).key(key(sha256))));
    return Optional.of(new DirectUrl(URI.create(presigned.url().toString()), expiresAt));
  }

  String key(String sha256) {
    return prefix + "sha256/" + sha256.substring(0, 2) + "/" + sha256;
  }

  private ApiException unavailable(String what, SdkException e) {
    LOG.warnf(e, "the artifact store (bucket %s) failed while %s", bucket, what);
    return ApiError.STORAGE_UNAVAILABLE.exception(
        "The artifact store cannot be reached (bucket '"
            + bucket
            + "'); nothing was stored. Try again later.");
  }

  @Override
  public void close() {
    s3.close();
    presigner.close();
  }

  /** At most {@code remaining} bytes of a stream: one part of the file. */
  private static final class BoundedInputStream extends java.io.FilterInputStream {
    private long remaining;

    BoundedInputStream(InputStream in, long remaining) {
      super(in);
      this.remaining = remaining;
    }

    @Override
    public int read() throws IOException {
      if (remaining <= 0) {
        return -1;
      }
      int b = super.read();
      if (b >= 0) {
        remaining--;
      }
      return b;
    }

    @Override
    public int read(byte[] buffer, int off, int len) throws IOException {
      if (remaining <= 0) {
        return -1;
      }
      int n = super.read(buffer, off, (int) Math.min(len, remaining));
      if (n > 0) {
        remaining -= n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long skipped = super.skip(Math.min(n, remaining));
      remaining -= skipped;
      return skipped;
    }

    @Override
    public int available() throws IOException {
      return (int) Math.min(super.available(), remaining);
    }

    @Override
    public boolean markSupported() {
      return false;
    }
  }
}
