package dev.modelfleet.server.artifact;

import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.util.UUID;

/**
 * The one rule for which artifacts a device may download, whichever way it asks (gRPC FetchArtifact
 * or HTTP): those of its current desired state (serving and shadow candidates), the deltas kept for
 * them (from any base: which one the device holds is its business) and their compressed copies, and
 * those of a trial it was sent and has not reported yet, and only while it is active (a device
 * waiting for approval gets nothing). Anything else is answered as not found, so a device cannot
 * probe what the store holds.
 */
@ApplicationScoped
public class ArtifactAccess {

  @Transactional
  public boolean mayFetch(UUID deviceId, String sha256) {
    Object allowed =
        Panache.getEntityManager()
            .createNativeQuery(
                "select exists (select 1 from devices where id = ?1 and status = 'active') and ("
                    + " exists (select 1 from desired_models d join variants v"
                    + "   on v.id = d.variant_id or v.id = d.shadow_variant_id"
                    + "   where d.device_id = ?1 and v.artifact_sha256 = ?2)"
                    + " or exists (select 1 from desired_models d"
                    + "   where d.device_id = ?1 and d.shadow_validation_sha256 = ?2)"
                    + " or exists (select 1 from trial_results r join variants v on v.id = r.variant_id"
                    + "   where r.device_id = ?1 and r.state = 'pending' and v.artifact_sha256 = ?2)"
                    + " or exists (select 1 from desired_models d join variant_deltas x"
                    + "   on x.target_variant_id = d.variant_id"
                    + "   where d.device_id = ?1 and x.kept and x.delta_sha256 = ?2)"
                    + " or exists (select 1 from desired_models d join variant_compressions c"
                    + "   on c.variant_id = d.variant_id"
                    + "   where d.device_id = ?1 and c.kept and c.compressed_sha256 = ?2))")
            .setParameter(1, deviceId)
            .setParameter(2, sha256)
            .getSingleResult();
    return Boolean.TRUE.equals(allowed);
  }
}
