package dev.modelfleet.server.device;

import com.fasterxml.jackson.annotation.JsonValue;
import jakarta.persistence.AttributeConverter;
import jakarta.persistence.Converter;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

public enum DeviceStatus {
  ACTIVE,
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
