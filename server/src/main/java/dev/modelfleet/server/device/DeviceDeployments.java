package dev.modelfleet.server.device;

import dev.modelfleet.server.device.DeviceDetails.DeploymentView;
import dev.modelfleet.server.device.DeviceDetails.DesiredView;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * What a device was told to run and how its deployments went, for its {@link DeviceDetails}.
 * Assignment owns that data and implements this; device depends on the interface only.
 */
public interface DeviceDeployments {

  /** Empty when the device never got a desired state. */
  Optional<DesiredView> desired(UUID deviceId);

  /** One entry per model the device reported on, by model name. */
  List<DeploymentView> deployments(UUID deviceId);
}
