package dev.modelfleet.server.access;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** The web console's sessions (docs/console.md). */
@ConfigMapping(prefix = "modelfleet.console")
public interface ConsoleConfig {

  /** How long a session lasts after signing in. MODELFLEET_CONSOLE_SESSION_LIFETIME */
  @WithDefault("8h")
  Duration sessionLifetime();
}
