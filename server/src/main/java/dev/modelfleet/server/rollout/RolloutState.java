package dev.modelfleet.server.rollout;

import com.fasterxml.jackson.annotation.JsonValue;
import jakarta.persistence.AttributeConverter;
import jakarta.persistence.Converter;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** Where a rollout stands; see docs/rollouts.md for the transitions. */
public enum RolloutState {
  CREATED,
  SCHEDULED,
  QUEUED,
  RUNNING,
  PAUSED,
  COMPLETED,
  ABORTED,
  ROLLING_BACK,
  ROLLED_BACK;

  /** States that may still start and then hold devices. */
  static final Set<RolloutState> PENDING_START = Set.of(CREATED, SCHEDULED, QUEUED);

  @JsonValue
  public String value() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<RolloutState> parse(String value) {
    return Arrays.stream(values()).filter(s -> s.value().equals(value)).findFirst();
  }

  @Converter(autoApply = true)
  public static class DbConverter implements AttributeConverter<RolloutState, String> {
    @Override
    public String convertToDatabaseColumn(RolloutState state) {
      return state == null ? null : state.value();
    }

    @Override
    public RolloutState convertToEntityAttribute(String value) {
      return value == null ? null : RolloutState.valueOf(value.toUpperCase(Locale.ROOT));
    }
  }
}
