package dev.modelfleet.server.quantization;

import ai.onnxruntime.NodeInfo;
import dev.modelfleet.server.artifact.ArtifactStore;
import dev.modelfleet.server.artifact.StagedArtifact;
import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.model.ModelService;
import dev.modelfleet.server.quantization.DerivationViews.SampleFileView;
import dev.modelfleet.server.quantization.graph.DerivationException;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Validation and calibration samples sent as NumPy files instead of JSON numbers: an upload streams
 * to disk under a size limit, is read through once against the reference's inputs, and is stored in
 * the artifact store by its sha256, which is the id a job names. A job keeps only that id, so one
 * resumed after a restart reads the same file again; nothing of a refused file is stored.
 */
@ApplicationScoped
public class SampleFiles {

  private static final Pattern ID = Pattern.compile("[0-9a-f]{64}");

  private final ArtifactStore store;
  private final long maxBytes;

  SampleFiles(ArtifactStore store, DerivationConfig config) {
    this.store = store;
    this.maxBytes = config.maxSampleFileSize().asLongValue();
  }

  public SampleFileView upload(String model, String version, UUID sourceVariantId, InputStream body)
      throws IOException {
    // the version and its reference first: a request for a missing one costs no upload
    String reference =
        QuarkusTransaction.requiringNew()
            .call(
                () ->
                    DerivationService.source(
                            ModelService.usableVersion(model, version), sourceVariantId)
                        .sha256);
    Map<String, SampleFileReader.Input> inputs = inputs(reference);
    StagedArtifact staged = store.stage(new Limited(body, maxBytes));
    try {
      if (staged.size() == 0) {
        throw ApiError.EMPTY_UPLOAD.exception(
            "The request body is empty; send the .npy or .npz file as application/octet-stream.");
      }
      SampleFileReader.Summary summary;
      try (InputStream in = Files.newInputStream(staged.file())) {
        summary = SampleFileReader.check(in, inputs);
      } catch (SampleFileException e) {
        throw e.problem();
      }
      store.commit(staged);
      return new SampleFileView(
          staged.sha256(), summary.format(), staged.size(), summary.samples(), summary.shapes());
    } finally {
      store.discard(staged);
    }
  }

  /**
   * A rollout's shadow validation set: sample file {@code id} exists and fits the inputs of the
   * model in artifact {@code modelSha256} (else a 4xx that says why); returns its size in bytes.
   */
  public long requireFits(String id, String modelSha256) {
    Map<String, SampleFileReader.Input> inputs = inputs(modelSha256);
    try (ArtifactStore.Stored stored = open(id)) {
      SampleFileReader.check(stored.body(), inputs);
      return stored.size();
    } catch (SampleFileException e) {
      throw e.problem();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** At job creation: a sample file the job names exists and fits; else as JSON samples are. */
  void checkValidation(Map<String, NodeInfo> inputs, DerivationViews.Validation v) {
    if (v == null || v.samplesFile() == null) {
      Derivations.validationSet(inputs, v);
      return;
    }
    requireOneSource(v.samples() != null && !v.samples().isEmpty(), "validation");
    check(v.samplesFile(), inputs);
  }

  void checkCalibration(Map<String, NodeInfo> inputs, DerivationViews.Calibration c) {
    if (c == null || c.samplesFile() == null) {
      Derivations.calibrationSet(inputs, c);
      return;
    }
    requireOneSource(c.samples() != null && !c.samples().isEmpty(), "calibration");
    Derivations.qdqMethod(c);
    Derivations.percentile(c);
    check(c.samplesFile(), inputs);
  }

  /** In the job: the validation tensors, read from the sample file when the job names one. */
  ValidationSet validationSet(byte[] reference, DerivationViews.Validation v) {
    if (v == null || v.samplesFile() == null) {
      return Derivations.validationSet(reference, v);
    }
    return load(v.samplesFile(), reference);
  }

  ValidationSet calibrationSet(byte[] reference, DerivationViews.Calibration c) {
    if (c == null || c.samplesFile() == null) {
      return Derivations.calibrationSet(reference, c);
    }
    return load(c.samplesFile(), reference);
  }

  private void check(String id, Map<String, NodeInfo> nodes) {
    try (ArtifactStore.Stored stored = open(id)) {
      SampleFileReader.check(stored.body(), SampleFileReader.inputs(nodes));
    } catch (SampleFileException e) {
      throw e.problem();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private ValidationSet load(String id, byte[] reference) {
    try (ArtifactStore.Stored stored = open(id)) {
      return SampleFileReader.load(
          stored.body(), SampleFileReader.inputs(VariantCheck.inputs(reference)));
    } catch (SampleFileException e) {
      throw e.problem();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private ArtifactStore.Stored open(String id) throws IOException {
    if (!ID.matcher(id).matches()) {
      throw ApiError.INVALID_REQUEST.exception(
          "'samplesFile' must be the id (a lowercase sha256) that the sample upload returned.");
    }
    try {
      return store.open(id, 0);
    } catch (NoSuchFileException e) {
      throw ApiError.NOT_FOUND.exception(
          "No sample file "
              + id
              + "; upload it first (POST .../versions/{version}/derivation-samples).");
    }
  }

  private Map<String, SampleFileReader.Input> inputs(String referenceSha256) {
    try {
      return SampleFileReader.inputs(
          VariantCheck.inputs(DerivationService.read(store, referenceSha256)));
    } catch (DerivationException e) {
      throw ApiError.NOT_DERIVABLE.exception(
          "Cannot read the reference's inputs: " + e.getMessage() + ".");
    } catch (SampleFileException e) {
      throw e.problem();
    }
  }

  private static void requireOneSource(boolean inline, String what) {
    if (inline) {
      throw ApiError.INVALID_REQUEST.exception(
          "'" + what + "' has both 'samples' and 'samplesFile'; give one of them.");
    }
  }

  /** Counts the body as it streams and refuses it past the limit, before it fills the disk. */
  static final class Limited extends FilterInputStream {
    private final long max;
    private long count;

    Limited(InputStream in, long max) {
      super(in);
      this.max = max;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        counted(1);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        counted(n);
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      return 0; // staging never skips; counting stays exact
    }

    private void counted(int n) {
      count += n;
      if (count > max) {
        throw ApiError.SAMPLES_TOO_LARGE.exception(
            "The sample file is larger than the limit of "
                + max
                + " bytes (MODELFLEET_DERIVATION_MAX_SAMPLE_FILE_SIZE).");
      }
    }
  }
}
