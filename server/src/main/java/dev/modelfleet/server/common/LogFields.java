package dev.modelfleet.server.common;

/**
 * The context every log line carries where it applies, as MDC keys: with JSON logs on
 * (QUARKUS_LOG_CONSOLE_JSON_ENABLED=true) each is a field of the line's "mdc" object. Ids only,
 * never a credential, token or key.
 */
public final class LogFields {

  /** The device whose message or request is being handled. */
  public static final String DEVICE_ID = "device_id";

  /** The rollout the engine is stepping. */
  public static final String ROLLOUT_ID = "rollout_id";

  /** The admin API request: the caller's X-Request-Id, or one made up for it. */
  public static final String REQUEST_ID = "request_id";

  private LogFields() {}
}
