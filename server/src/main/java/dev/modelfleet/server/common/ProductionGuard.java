package dev.modelfleet.server.common;

import io.quarkus.flyway.FlywayConfigurationCustomizer;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.configuration.ConfigurationException;
import jakarta.inject.Singleton;
import java.util.List;
import org.eclipse.microprofile.config.Config;
import org.flywaydb.core.api.configuration.FluentConfiguration;

/**
 * Stops a production server whose secrets are missing or copied from an example (see {@link
 * ProductionSettings}). It runs while Flyway is configured, the first thing at start that connects
 * to the database, so a refused server has touched nothing; Quarkus prints a {@link
 * ConfigurationException}'s message alone and exits with status 1. Dev and test runs keep their
 * built-in conveniences.
 */
@Singleton
public class ProductionGuard implements FlywayConfigurationCustomizer {

  private final Config config;

  ProductionGuard(Config config) {
    this.config = config;
  }

  @Override
  public void customize(FluentConfiguration flyway) {
    if (LaunchMode.current().isDevOrTest()) {
      return;
    }
    List<String> problems =
        new ProductionSettings(
                // read as a plain setting: the mapping of it belongs to access, which uses it
                config.getOptionalValue("modelfleet.admin-token", String.class),
                config.getOptionalValue("quarkus.datasource.password", String.class),
                config.getOptionalValue("quarkus.flyway.password", String.class))
            .problems();
    if (!problems.isEmpty()) {
      throw new ConfigurationException(ProductionSettings.refusal(problems));
    }
  }
}
