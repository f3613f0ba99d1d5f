package dev.modelfleet.server.common;

import io.smallrye.config.ConfigMapping;
import java.util.Optional;

/**
 * The bootstrap admin token (MODELFLEET_ADMIN_TOKEN). Optional here so that a production server
 * without one stops with what to do ({@link ProductionGuard}) rather than a bare "required
 * property" error; dev and test configure their own.
 */
@ConfigMapping(prefix = "modelfleet")
public interface AdminTokenConfig {

  Optional<String> adminToken();
}
