package dev.modelfleet.server.device;

import dev.modelfleet.protocol.agent.v1.InstalledModel;
import java.util.List;

/** A model present on a device, as its agent last reported it. */
public record InstalledModelInfo(
    String model, String version, String variantId, String sha256, boolean active) {

  public static List<InstalledModelInfo> from(List<InstalledModel> installed) {
    return installed.stream()
        .map(
            m ->
                new InstalledModelInfo(
                    m.getModel(), m.getVersion(), m.getVariantId(), m.getSha256(), m.getActive()))
        .toList();
  }
}
