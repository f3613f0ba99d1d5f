package dev.modelfleet.server.access;

import io.smallrye.config.ConfigMapping;
import java.util.Optional;

/**
 * The bootstrap admin token (MODELFLEET_ADMIN_TOKEN). Optional here so that a production server
 * without one stops with what to do ({@code common.ProductionGuard}, which reads the same setting)
 * rather than a bare "required property" error; dev and test configure their own.
 */
@ConfigMapping(prefix = "modelfleet")
public interface AdminTokenConfig {

  Optional<String> adminToken();
}
