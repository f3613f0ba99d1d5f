package dev.modelfleet.server.device;

import com.fasterxml.jackson.annotation.JsonValue;
import jakarta.persistence.AttributeConverter;
import jakarta.persistence.Converter;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * A device's place in its life cycle. {@code PENDING} waits for an operator's approval (it may sync
 * and report but receives nothing); {@code ACTIVE} is approved (or never needed approval); {@code
 * REJECTED} and {@code DECOMMISSIONED} have lost their credential for good.
 */
public enum DeviceStatus {
  PENDING,
  ACTIVE,
  REJECTED,
  DECOMMISSIONED;

  /** The lowercase name used in JSON, query parameters and the database. */
  @JsonValue
  public String value() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<DeviceStatus> parse(String value) {
    return Arrays.stream(values()).filter(s -> s.value().equals(value)).findFirst();
  }

  @Converter(autoApply = true)
  public static class DbConverter implements AttributeConverter<DeviceStatus, String> {
    @Override
    public String convertToDatabaseColumn(DeviceStatus status) {
      return status == null ? null : status.value();
    }

    @Override
    public DeviceStatus convertToEntityAttribute(String value) {
      return value == null ? null : DeviceStatus.valueOf(value.toUpperCase(Locale.ROOT));
    }
  }
}
