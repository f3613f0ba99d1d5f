package dev.modelfleet.server.rollout;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.UUID;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Members of a real rollout added by SQL, many at once, with their devices, deployment statuses and
 * health rows: for measuring and checking what the rollout view's tally costs at fleet scale
 * without enrolling that many devices.
 */
final class SyntheticMembers {

  private SyntheticMembers() {}

  /**
   * {@code members} synthetic devices made members of rollout {@code id} (of {@code model}), in
   * four waves, in the states a big rollout shows, their names starting with {@code tag}; {@code
   * analyze}: refresh the tables' statistics afterwards (as autovacuum would, some time later).
   */
  static void seed(Connection db, UUID id, String model, String tag, int members, boolean analyze)
      throws Exception {
    // our own generated values (a UUID, a model name and tag of letters, digits and dashes)
    String[] statements = {
      """
      insert into devices (id, name, status, public_key, credential_hash, enrolled_at,
                           last_seen_at)
      select md5(:tag || i)::uuid, :tag || '-' || i, 'active', decode(md5(:tag || i), 'hex'),
             repeat('0', 64), now(),
             case when i % 50 = 0 then now() - interval '1 hour' else now() end
        from generate_series(1, :n) i
      """,
      """
      insert into deployment_statuses (id, device_id, model, version, generation, state, reason,
                                       reason_code, updated_at)
      select md5('s' || :tag || i)::uuid, md5(:tag || i)::uuid, :model,
             case when i <= :n * 2 / 3 then '2' else '1' end, 5,
             case when i % 13 = 0 then 'downloading' when i % 29 = 0 then 'failed'
                  else 'active' end,
             case when i % 29 = 0 then 'boom' end, case when i % 29 = 0 then 'load_failed' end,
             now()
        from generate_series(1, :n) i
      """,
      """
      insert into device_model_health (device_id, model, version, requests, errors, p50_ms,
                                       p95_ms, reported_at)
      select md5(:tag || i)::uuid, :model, v, 50 + i % 100, i % 3, 1.5, 2.0 + (i % 17) / 4.0, now()
        from generate_series(1, :n) i, (values ('1'), ('2')) vs(v)
       where i <= :n * 2 / 3 or v = '1'
      """,
      """
      insert into rollout_devices (rollout_id, device_id, model_id, wave_index, assigned_at,
                                   generation, variant_id, previous_variant_id, outcome,
                                   outcome_reason)
      select r.id, md5(:tag || i)::uuid, r.model_id,
             case when i <= :n / 100 then 0 when i <= :n / 10 then 1
                  when i <= :n / 2 then 2 else 3 end,
             case when i <= :n * 3 / 4 then now() end, case when i <= :n * 3 / 4 then 5 end,
             v2.id, v1.id,
             case when i % 97 = 0 then 'failed' when i % 211 = 0 then 'skipped' end,
             case when i % 97 = 0 then 'error-rate-regression: 3 %'
                  when i % 211 = 0 then 'no matching variant' end
        from rollouts r
        join variants v2 on v2.version_id = r.version_id
        join model_versions mv1 on mv1.model_id = r.model_id and mv1.version = '1'
        join variants v1 on v1.version_id = mv1.id,
             generate_series(1, :n) i
       where r.id = :id
      """,
      analyze
          ? "analyze devices, deployment_statuses, device_model_health, rollout_devices,"
              + " rollout_member_tally"
          : "select 1"
    };
    try (Statement s = db.createStatement()) {
      for (String sql : statements) {
        s.execute(
            sql.replace(":tag", "'" + tag + "'")
                .replace(":model", "'" + model + "'")
                .replace(":n", Integer.toString(members))
                .replace(":id", "'" + id + "'::uuid"));
      }
    }
  }

  /** Removes the devices {@link #seed} made and every row that names them. */
  static void unseed(Connection db, String tag) throws Exception {
    try (PreparedStatement s =
        db.prepareStatement(
            """
            with gone as (select id from devices where name like ?),
            m as (delete from rollout_devices where device_id in (select id from gone)
                  returning 1),
            st as (delete from deployment_statuses where device_id in (select id from gone)
                   returning 1),
            h as (delete from device_model_health where device_id in (select id from gone)
                  returning 1),
            hs as (delete from device_health_samples where device_id in (select id from gone)
                   returning 1)
            select (select count(*) from m), (select count(*) from st), (select count(*) from h),
                   (select count(*) from hs)
            """)) {
      s.setString(1, tag + "-%");
      s.executeQuery().close();
    }
    try (PreparedStatement s = db.prepareStatement("delete from devices where name like ?")) {
      s.setString(1, tag + "-%");
      s.executeUpdate();
    }
  }

  /** The table owner (the test database's superuser), which may switch triggers off. */
  static Connection owner() throws Exception {
    String url = ConfigProvider.getConfig().getValue("quarkus.datasource.jdbc.url", String.class);
    return DriverManager.getConnection(url, "postgres", "postgres");
  }
}
