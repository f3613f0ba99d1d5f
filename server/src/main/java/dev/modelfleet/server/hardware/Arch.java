package dev.modelfleet.server.hardware;

import java.util.Locale;

/** CPU architecture names as agents report them ("x86_64", "aarch64"), whatever the source said. */
public final class Arch {

  private Arch() {}

  public static String normalize(String arch) {
    if (arch == null) {
      return "";
    }
    String lower = arch.trim().toLowerCase(Locale.ROOT);
    return switch (lower) {
      case "amd64", "x86-64", "x64" -> "x86_64";
      case "arm64" -> "aarch64";
      default -> lower;
    };
  }
}
