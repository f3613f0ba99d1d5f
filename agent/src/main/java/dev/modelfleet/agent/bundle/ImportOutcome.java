package dev.modelfleet.agent.bundle;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;

/** An import's result as the local API answers it, and as {@code import-bundle} prints it. */
public final class ImportOutcome {

  private static final ObjectMapper JSON = new ObjectMapper();

  private ImportOutcome() {}

  public static byte[] json(BundleImporter.Result result) {
    try {
      return JSON.writeValueAsBytes(result);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  public static BundleImporter.Result parse(byte[] json) throws IOException {
    return JSON.readValue(json, BundleImporter.Result.class);
  }

  /** Prints what happened; returns the exit code (0 installed, 1 refused or failed). */
  public static int print(BundleImporter.Result result, PrintStream out, PrintStream err) {
    if (result.installed()) {
      out.println(
          "bundle "
              + result.bundleId()
              + " installed"
              + (result.models().isEmpty() ? "" : ": " + String.join(", ", result.models())));
      return 0;
    }
    err.println(
        "modelfleet-agent: bundle "
            + (result.bundleId().isEmpty() ? "" : result.bundleId() + " ")
            + "not installed ("
            + result.reasonCode()
            + "): "
            + result.reason()
            + (result.bundleId().isEmpty() ? "; nothing was changed" : ""));
    return 1;
  }
}
