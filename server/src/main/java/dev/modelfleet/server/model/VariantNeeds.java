package dev.modelfleet.server.model;

import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.hardware.Arch;
import dev.modelfleet.server.hardware.CpuFlags;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a variant needs from a device and how accurate it is, as given on upload. Empty, 0 and null
 * mean "no requirement" / "not declared".
 */
public record VariantNeeds(
    String arch, List<String> requiredCpuFlags, long minMemoryBytes, Double accuracy) {

  public static final VariantNeeds NONE = new VariantNeeds("", List.of(), 0, null);

  private static final Set<String> ARCHES =
      Set.of("x86_64", "aarch64", "arm", "riscv64", "ppc64le", "s390x");
  private static final Pattern FLAG = Pattern.compile("[a-z0-9_]{1,32}");

  /** Relative accuracy above this is almost surely a percentage typed by mistake. */
  public static final double MAX_ACCURACY = 2.0;

  /** Parses the upload's query parameters; a 400 naming the parameter on any bad value. */
  public static VariantNeeds parse(
      String arch, String requiredCpuFlags, String minMemoryBytes, String accuracy) {
    return new VariantNeeds(
        parseArch(arch),
        parseFlags(requiredCpuFlags),
        parseMemory(minMemoryBytes),
        accuracy == null || accuracy.isBlank() ? null : parseAccuracy("accuracy", accuracy));
  }

  /** Relative accuracy, in (0, 2]: the reference variant is 1.0, a small loss e.g. 0.985. */
  public static double parseAccuracy(String parameter, String value) {
    double parsed;
    try {
      parsed = Double.parseDouble(value.trim());
    } catch (NumberFormatException e) {
      parsed = Double.NaN;
    }
    if (!(parsed > 0 && parsed <= MAX_ACCURACY)) {
      throw ApiError.INVALID_REQUEST.exception(
          "Query parameter '"
              + parameter
              + "' must be a number greater than 0 and at most 2: accuracy"
              + " relative to the reference variant as a fraction, e.g. 0.985 (not a percentage); got '"
              + value
              + "'.");
    }
    return parsed;
  }

  private static String parseArch(String arch) {
    if (arch == null || arch.isBlank()) {
      return "";
    }
    String normalized = Arch.normalize(arch);
    if (!ARCHES.contains(normalized)) {
      throw ApiError.INVALID_REQUEST.exception(
          "Query parameter 'arch' must be one of "
              + ARCHES.stream().sorted().toList()
              + " (amd64 and arm64 are accepted as aliases); got '"
              + arch
              + "'.");
    }
    return normalized;
  }

  private static List<String> parseFlags(String flags) {
    if (flags == null || flags.isBlank()) {
      return List.of();
    }
    List<String> raw = Arrays.stream(flags.split(",", -1)).map(String::trim).toList();
    for (String flag : raw) {
      if (!FLAG.matcher(flag.toLowerCase(java.util.Locale.ROOT)).matches()) {
        throw ApiError.INVALID_REQUEST.exception(
            "Query parameter 'requiredCpuFlags' must be a comma-separated list of CPU flags as Linux"
                + " names them (letters, digits, '_'; e.g. avx512_vnni,avx2 or dotprod); '"
                + flag
                + "' is not one.");
      }
    }
    return List.copyOf(CpuFlags.normalizeAll(raw));
  }

  private static long parseMemory(String value) {
    if (value == null || value.isBlank()) {
      return 0;
    }
    try {
      long parsed = Long.parseLong(value.trim());
      if (parsed >= 0) {
        return parsed;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw ApiError.INVALID_REQUEST.exception(
        "Query parameter 'minMemoryBytes' must be a whole number of bytes, 0 or more; got '"
            + value
            + "'.");
  }

  /** How the needs read in messages: "x86_64 + avx512_vnni", or "any device". */
  public String describe() {
    String flags = String.join("+", requiredCpuFlags);
    String needs = arch.isEmpty() || flags.isEmpty() ? arch + flags : arch + " + " + flags;
    return needs.isEmpty() ? "any device" : needs;
  }
}
