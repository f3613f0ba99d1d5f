package dev.modelfleet.server.artifact;

import dev.modelfleet.server.common.ModelFleetConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;

/** Picks the configured artifact store, once per server. */
@ApplicationScoped
class ArtifactStores {

  @Produces
  @ApplicationScoped
  ArtifactStore store(ModelFleetConfig config, ArtifactStoreConfig storeConfig) {
    return switch (storeConfig.type()) {
      case FILESYSTEM -> new FilesystemArtifactStore(config.artifactDir());
      case S3 -> S3ArtifactStore.create(storeConfig, config.artifactDir().resolve("staging"));
    };
  }

  void close(@Disposes ArtifactStore store) {
    if (store instanceof S3ArtifactStore s3) {
      s3.close();
    }
  }
}
