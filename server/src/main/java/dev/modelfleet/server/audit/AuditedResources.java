package dev.modelfleet.server.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.modelfleet.protocol.agent.v1.RoleKeys;
import dev.modelfleet.protocol.agent.v1.RootMetadata;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.server.signing.RootMetadataChain;
import dev.modelfleet.server.signing.RootRotation;
import io.agroal.api.AgroalDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * How the audit log sees the resource an API call changes, by the call's path template: a reader
 * that returns the resource's state as JSON, before the call and after it. Kept here, beside the
 * log, so that REST adapters and services stay unaware of auditing; a new write endpoint gets its
 * reader here (AuditBeforeAfterTest names the ones that must have one).
 *
 * <p>Snapshots are built by PostgreSQL from the columns named below, never from whole rows, so no
 * secret or secret hash can reach the log.
 */
@ApplicationScoped
public class AuditedResources {

  /** Reads a resource's state by the call's path parameters and, after a create, its new id. */
  @FunctionalInterface
  interface Reader {
    JsonNode read(Map<String, String> params, String createdId);
  }

  private static final String DEVICE =
      "select jsonb_build_object('id', id, 'name', name, 'labels', labels, 'status', status,"
          + " 'decommissionedAt', decommissioned_at, 'approvalDecidedAt', approval_decided_at,"
          + " 'approvalDecidedBy', approval_decided_by) from devices where id = ?";
  private static final String ENROLLMENT_TOKEN =
      "select jsonb_build_object('id', id, 'name', name, 'labels', labels, 'expiresAt', expires_at,"
          + " 'maxUses', max_uses, 'uses', uses, 'revokedAt', revoked_at,"
          + " 'requireApproval', require_approval) from enrollment_tokens where id = ?";
  private static final String DOWNLOAD_POLICY =
      "select jsonb_build_object('id', id, 'name', name, 'deviceId', device_id,"
          + " 'selector', selector, 'priority', priority, 'windows', windows,"
          + " 'timeZone', time_zone, 'rateBytesPerSecond', rate_bytes_per_second,"
          + " 'dailyBudgetBytes', daily_budget_bytes, 'meteredOnly', metered_only)"
          + " from download_policies where id = ?";
  private static final String API_TOKEN =
      "select jsonb_build_object('id', id, 'name', name, 'role', role, 'createdBy', created_by,"
          + " 'expiresAt', expires_at, 'revokedAt', revoked_at) from api_tokens where id = ?";
  private static final String MODEL =
      "select jsonb_build_object('id', id, 'name', name, 'description', description)"
          + " from models where id = ?";
  private static final String VERSION_COLUMNS =
      "select jsonb_build_object('id', v.id, 'model', m.name, 'version', v.version,"
          + " 'revokedAt', v.revoked_at, 'revokedReason', v.revoked_reason)"
          + " from model_versions v join models m on m.id = v.model_id";
  private static final String VARIANT =
      "select jsonb_build_object('id', x.id, 'model', m.name, 'version', v.version,"
          + " 'precision', x.precision, 'executionProvider', x.execution_provider,"
          + " 'sha256', x.artifact_sha256, 'size', x.size) from variants x"
          + " join model_versions v on v.id = x.version_id join models m on m.id = v.model_id"
          + " where x.id = ?";

  /** Which version of the model each device is meant to run: one key per device. */
  private static final String DESIRED_OF_MODEL =
      "select coalesce(jsonb_object_agg(d.device_id::text, jsonb_build_object('version',"
          + " v.version, 'variantId', d.variant_id)), '{}'::jsonb) from desired_models d"
          + " join models m on m.id = d.model_id join variants x on x.id = d.variant_id"
          + " join model_versions v on v.id = x.version_id where m.name = ?";

  private static final String BUNDLE =
      "select jsonb_build_object('id', id, 'createdBy', created_by, 'expiresAt', expires_at,"
          + " 'deviceIds', device_ids, 'hardwareClasses', hardware_classes, 'artifactCount',"
          + " artifact_count, 'deltaCount', delta_count, 'sizeBytes', size_bytes,"
          + " 'indexSha256', index_sha256) from bundles where id = ?";
  private static final String TRIAL =
      "select jsonb_build_object('id', t.id, 'model', m.name, 'version', v.version,"
          + " 'runs', t.runs, 'devices', (select count(*) from trial_devices d"
          + " where d.trial_id = t.id)) from trials t join model_versions v on v.id = t.version_id"
          + " join models m on m.id = v.model_id where t.id = ?";
  private static final String ROLLOUT =
      "select jsonb_build_object('id', id, 'name', name, 'selector', selector, 'state', state,"
          + " 'stateReason', state_reason, 'currentWave', current_wave, 'startAt', start_at,"
          + " 'startedAt', started_at, 'finishedAt', finished_at) from rollouts where id = ?";

  private static final String DERIVATION_JOB =
      "select jsonb_build_object('id', j.id, 'model', m.name, 'version', v.version,"
          + " 'kinds', j.kinds, 'accuracyFloor', j.accuracy_floor, 'state', j.state)"
          + " from derivation_jobs j join model_versions v on v.id = j.version_id"
          + " join models m on m.id = v.model_id where j.id = ?";

  /** The model's derivation policy, or JSON null when it has none (samples left out). */
  private static final String DERIVATION_POLICY =
      "select coalesce((select jsonb_build_object('model', m.name, 'kinds', p.kinds,"
          + " 'accuracyFloor', p.accuracy_floor, 'hasValidationSamples', p.validation is not null)"
          + " from derivation_policies p join models m on m.id = p.model_id where m.name = ?),"
          + " 'null'::jsonb)";

  private final AgroalDataSource dataSource;
  private final ObjectMapper json;
  private final RootMetadataChain roots;
  private final RootRotation rotation;
  private final Map<String, Reader> readers = new HashMap<>();

  AuditedResources(
      AgroalDataSource dataSource,
      ObjectMapper json,
      RootMetadataChain roots,
      RootRotation rotation) {
    this.dataSource = dataSource;
    this.json = json;
    this.roots = roots;
    this.rotation = rotation;
    Reader device = (p, created) -> byId(DEVICE, p.get("id"));
    for (String action :
        new String[] {"labels", "decommission", "approve", "reject", "benchmark"}) {
      readers.put("/api/v1/devices/{id}/" + action, device);
    }
    Reader enrollmentToken = (p, created) -> byId(ENROLLMENT_TOKEN, first(p.get("id"), created));
    readers.put("/api/v1/enrollment-tokens", enrollmentToken);
    Reader downloadPolicy = (p, created) -> byId(DOWNLOAD_POLICY, first(p.get("id"), created));
    readers.put("/api/v1/download-policies", downloadPolicy);
    readers.put("/api/v1/download-policies/{id}", downloadPolicy);
    readers.put("/api/v1/enrollment-tokens/{id}/revoke", enrollmentToken);
    readers.put("/api/v1/enrollment-tokens/{id}", enrollmentToken);
    Reader apiToken = (p, created) -> byId(API_TOKEN, first(p.get("id"), created));
    readers.put("/api/v1/access/tokens", apiToken);
    readers.put("/api/v1/access/tokens/{id}/revoke", apiToken);
    readers.put("/api/v1/models", (p, created) -> byId(MODEL, created));
    readers.put(
        "/api/v1/models/{name}/versions",
        (p, created) -> byId(VERSION_COLUMNS + " where v.id = ?", created));
    readers.put(
        "/api/v1/models/{name}/versions/{version}/revoke",
        (p, created) ->
            query(
                VERSION_COLUMNS + " where m.name = ? and v.version = ?",
                p.get("name"),
                p.get("version")));
    readers.put(
        "/api/v1/models/{name}/versions/{version}/variants",
        (p, created) -> byId(VARIANT, created));
    readers.put(
        "/api/v1/models/{name}/versions/{version}/assignments",
        (p, created) -> query(DESIRED_OF_MODEL, p.get("name")));
    readers.put(
        "/api/v1/models/{name}/versions/{version}/trials", (p, created) -> byId(TRIAL, created));
    readers.put("/api/v1/bundles", (p, created) -> byId(BUNDLE, created));
    Reader rollout = (p, created) -> byId(ROLLOUT, first(p.get("id"), created));
    readers.put("/api/v1/rollouts", rollout);
    for (String action :
        new String[] {"start", "pause", "resume", "abort", "rollback", "approve"}) {
      readers.put("/api/v1/rollouts/{id}/" + action, rollout);
    }
    readers.put(
        "/api/v1/models/{name}/versions/{version}/derivations",
        (p, created) -> byId(DERIVATION_JOB, created));
    readers.put(
        "/api/v1/models/{name}/derivation-policy",
        (p, created) -> query(DERIVATION_POLICY, p.get("name")));
    // the root of trust lives in the key directory, not in PostgreSQL
    Reader trust = (p, created) -> trustSnapshot();
    for (String path :
        new String[] {"/root/rotate", "/root/drafts", "/root/draft", "/root/draft/signatures"}) {
      readers.put("/api/v1/trust" + path, trust);
    }
  }

  /** The published root version (its roles' key ids and thresholds) and the pending draft. */
  private JsonNode trustSnapshot() {
    List<SignedEnvelope> chain = roots.rootChain();
    ObjectNode snapshot = json.createObjectNode();
    try {
      RootMetadata root = RootMetadata.parseFrom(chain.get(chain.size() - 1).getPayload());
      snapshot.put("rootVersion", root.getVersion());
      snapshot.put("expiresAt", Instant.ofEpochMilli(root.getExpiresAtMs()).toString());
      ObjectNode roles = snapshot.putObject("roles");
      for (RoleKeys role : root.getRolesList()) {
        ObjectNode entry = roles.putObject(role.getRole());
        entry.put("threshold", role.getThreshold());
        role.getKeyIdsList().forEach(entry.putArray("keyIds")::add);
      }
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("root metadata signed here does not parse", e);
    }
    rotation
        .currentDraft()
        .ifPresentOrElse(
            draft -> {
              ObjectNode entry = snapshot.putObject("draft");
              entry.put("version", draft.version());
              entry.put("payloadSha256", draft.payloadSha256());
              draft.previousRoot().signedBy().forEach(entry.putArray("signedByPreviousRoot")::add);
              draft.newRoot().signedBy().forEach(entry.putArray("signedByNewRoot")::add);
            },
            () -> snapshot.putNull("draft"));
    return snapshot;
  }

  /** The reader for a matched path template; null when calls there change no stored resource. */
  Reader readerFor(String template) {
    return readers.get(template);
  }

  /** Whether the template has a reader: for tests that check every write endpoint has one. */
  public boolean audits(String template) {
    return readers.containsKey(template);
  }

  private static String first(String a, String b) {
    return a != null ? a : b;
  }

  /** Null when the id is absent or no UUID (the call then failed and records no snapshot). */
  private JsonNode byId(String sql, String id) {
    if (id == null) {
      return null;
    }
    UUID uuid;
    try {
      uuid = UUID.fromString(id);
    } catch (IllegalArgumentException e) {
      return null;
    }
    return query(sql, uuid);
  }

  private JsonNode query(String sql, Object... args) {
    try (Connection c = dataSource.getConnection();
        PreparedStatement s = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        s.setObject(i + 1, args[i]);
      }
      try (ResultSet r = s.executeQuery()) {
        return r.next() && r.getString(1) != null ? json.readTree(r.getString(1)) : null;
      }
    } catch (SQLException | JsonProcessingException e) {
      throw new IllegalStateException("cannot read a resource for the audit log", e);
    }
  }
}
