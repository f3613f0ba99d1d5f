package dev.modelfleet.cli.http;

import java.util.Map;

/**
 * What to do about a refused request, by its stable code (the catalogue in docs/api.md). Codes
 * whose detail already says it all have no hint.
 */
final class Hints {

  private static final Map<String, String> BY_CODE =
      Map.ofEntries(
          Map.entry(
              "unauthenticated",
              "the token is wrong, expired or revoked: run modelfleet login --server URL --token"
                  + " TOKEN (or set MODELFLEET_TOKEN)"),
          Map.entry(
              "forbidden",
              "this token's role may not do this: ask an admin for a token with the role it"
                  + " needs (modelfleet access-tokens create NAME --role operator)"),
          Map.entry(
              "not-found",
              "check the name or id: modelfleet models list, modelfleet devices list,"
                  + " modelfleet rollouts list show what exists"),
          Map.entry(
              "duplicate-name", "choose another name, or use the one that exists (… get NAME)"),
          Map.entry(
              "duplicate-variant",
              "push it as a new version, or with other --precision, --ep or needs (--arch,"
                  + " --cpu-flags)"),
          Map.entry("version-revoked", "choose a version that is not revoked"),
          Map.entry(
              "rollout-conflict",
              "wait for the other rollout, abort it (modelfleet rollouts abort ID), or create"
                  + " this one with --on-conflict queue"),
          Map.entry("illegal-state", "modelfleet rollouts get ID shows the state it is in"),
          Map.entry(
              "device-offline",
              "the device must be connected: check its last-seen time (modelfleet devices get"
                  + " ID)"),
          Map.entry(
              "root-key-offline",
              "this server does not hold the root key: make a draft (modelfleet trust draft"
                  + " create) and sign it offline (modelfleet trust sign)"),
          Map.entry(
              "invalid-rollout-plan",
              "fix the plan: waves, thresholds and gates are described in docs/rollouts.md"),
          Map.entry(
              "invalid-label-selector",
              "requirements joined by commas: k=v, k!=v, k in (a,b), k notin (a,b), k, !k"),
          Map.entry(
              "empty-selection",
              "see which devices match: modelfleet devices list --selector SELECTOR --status"
                  + " active"),
          Map.entry(
              "model-external-data",
              "save the model with its weights inside the .onnx file (under 2 GB)"),
          Map.entry(
              "not-derivable",
              "the reference must be an fp32 model the derivation applies to; see"
                  + " docs/quantization.md"),
          Map.entry("internal-error", "a server fault: the server's log has the details"),
          Map.entry(
              "unsupported-media-type",
              "this command line and the server disagree: check both versions (modelfleet"
                  + " status)"));

  private Hints() {}

  static String forProblem(String code, int status) {
    if (code != null && BY_CODE.containsKey(code)) {
      return BY_CODE.get(code);
    }
    if (status == 401) {
      return BY_CODE.get("unauthenticated");
    }
    if (status == 403) {
      return BY_CODE.get("forbidden");
    }
    if (status >= 500) {
      return "a server fault: the server's log has the details";
    }
    return null;
  }
}
