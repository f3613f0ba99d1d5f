package dev.modelfleet.server.device;

import dev.modelfleet.server.device.DeviceDetails.MismatchView;
import java.util.List;
import java.util.UUID;

/**
 * Where ONNX Runtime ran a variant on another provider than it was matched for, for a device's
 * {@link DeviceDetails}. Matching owns that data and implements this.
 */
public interface DeviceMismatches {

  /** Oldest first. */
  List<MismatchView> ofDevice(UUID deviceId);
}
