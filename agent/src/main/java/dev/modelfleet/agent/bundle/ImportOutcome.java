package dev.modelfleet.agent.bundle;

import dev.modelfleet.agent.state.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.List;

/** An import's result as the local API answers it, and as {@code import-bundle} prints it. */
public final class ImportOutcome {

  private ImportOutcome() {}

  public static byte[] json(BundleImporter.Result result) {
    try {
      return JsonObject.write(
          false,
          g -> {
            g.writeStartObject();
            g.writeStringField("bundleId", result.bundleId());
            g.writeBooleanField("installed", result.installed());
            g.writeStringField("reasonCode", result.reasonCode());
            g.writeStringField("reason", result.reason());
            JsonObject.writeStrings(g, "models", result.models());
            g.writeEndObject();
          });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static BundleImporter.Result parse(byte[] json) throws IOException {
    JsonObject o = JsonObject.parse(json);
    List<String> models = o.strings("models");
    return new BundleImporter.Result(
        o.string("bundleId"),
        Boolean.TRUE.equals(o.bool("installed")),
        o.string("reasonCode"),
        o.string("reason"),
        models == null ? List.of() : models);
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
