package dev.modelfleet.server.hardware;

import dev.modelfleet.protocol.HardwareClassId;

/** CPU architecture names as agents report them ("x86_64", "aarch64"), whatever the source said. */
public final class Arch {

  private Arch() {}

  public static String normalize(String arch) {
    return HardwareClassId.arch(arch);
  }
}
