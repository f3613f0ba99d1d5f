package dev.modelfleet.agent.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CipherPreferenceTest {

  /** Prints the first suite this JVM offers: run in a child JVM with the flags under test. */
  public static void main(String[] args) {
    System.out.println(CipherPreference.SUITES.get(0));
  }

  @Test
  void aJvmStartedAsTheAgentIsOffersChaCha20First() throws Exception {
    // the flag the systemd unit, the image and the launcher start the agent with
    assertEquals("TLS_CHACHA20_POLY1305_SHA256", firstSuiteIn("-XX:TieredStopAtLevel=1"));
  }

  @Test
  void aJvmWithItsOptimisingCompilerOffersAesGcmFirst() throws Exception {
    assertEquals("TLS_AES_128_GCM_SHA256", firstSuiteIn());
    // the last flag given wins, for the JVM and for the choice
    assertEquals(
        "TLS_AES_128_GCM_SHA256",
        firstSuiteIn("-XX:TieredStopAtLevel=1", "-XX:TieredStopAtLevel=4"));
  }

  private static String firstSuiteIn(String... flags) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of(flags));
    command.addAll(
        List.of(
            "-cp", System.getProperty("java.class.path"), CipherPreferenceTest.class.getName()));
    Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output =
        new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    child.waitFor(60, TimeUnit.SECONDS);
    return output;
  }
}
