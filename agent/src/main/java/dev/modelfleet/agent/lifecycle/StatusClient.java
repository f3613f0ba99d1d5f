package dev.modelfleet.agent.lifecycle;

import dev.modelfleet.agent.config.AgentConfig;
import dev.modelfleet.agent.config.ConfigException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** {@code modelfleet-agent status} asking the agent that runs on this device, if one does. */
final class StatusClient {

  private StatusClient() {}

  /** The running agent's status document, or null when none answers on its recorded port. */
  static byte[] ask(AgentConfig config) throws ConfigException {
    return call(config, "/agent/status", null);
  }

  /** Asks the running agent to import a bundle; its answer, or null when none runs. */
  static byte[] importBundle(AgentConfig config, Path bundle) throws ConfigException {
    return call(config, "/agent/import-bundle", bundle.toString());
  }

  private static byte[] call(AgentConfig config, String path, String post) throws ConfigException {
    Path portFile = config.stateDir().resolve("inference.port");
    try {
      int port = Integer.parseInt(Files.readString(portFile, StandardCharsets.US_ASCII).trim());
      InetAddress bound = config.bindAddress();
      // A wildcard bind listens on loopback too; the Host check takes loopback names.
      String host =
          bound.isAnyLocalAddress() || bound.isLoopbackAddress()
              ? "127.0.0.1"
              : bound instanceof java.net.Inet6Address
                  ? "[" + bound.getHostAddress() + "]"
                  : bound.getHostAddress();
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + path))
              // an import copies, checks and loads a model: minutes for a big one on a slow disk
              .timeout(Duration.ofSeconds(post == null ? 5 : 3600));
      if (post != null) {
        request.POST(HttpRequest.BodyPublishers.ofString(post, StandardCharsets.UTF_8));
      }
      if (config.apiToken() != null) {
        request.header("Authorization", "Bearer " + config.apiToken());
      }
      HttpResponse<byte[]> response =
          HttpClient.newBuilder()
              .connectTimeout(Duration.ofSeconds(2))
              .build()
              .send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
      if (response.statusCode() != 200) {
        throw new ConfigException(
            "the agent on port "
                + port
                + " answered "
                + response.statusCode()
                + ": "
                + new String(response.body(), StandardCharsets.UTF_8)
                + (response.statusCode() == 401 ? " (give the agent's api-token: --config)" : ""));
      }
      return response.body();
    } catch (IOException | NumberFormatException e) {
      return null; // no port recorded, or nothing listening there: the agent is not running
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }
}
