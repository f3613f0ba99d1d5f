package dev.modelfleet.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free loopback ports for the processes a scenario starts (never fixed ports).
 *
 * <p>A port is free when asked and bound a moment later by another process, so two test JVMs asking
 * at once can be handed the same one. When the suite runs in several forks (modelfleet.e2e.fork),
 * each fork picks from a range of its own below the kernel's ephemeral range (which outgoing
 * connections use), and never hands out the same port twice.
 */
public final class Ports {

  private static final int RANGE = 3000;
  private static final int FIRST = 20000;
  private static final Set<Integer> handedOut = ConcurrentHashMap.newKeySet();

  private Ports() {}

  public static int free() {
    String fork = Forks.number();
    if (fork.isBlank()) {
      return anyFree();
    }
    int start = FIRST + Math.floorMod(Integer.parseInt(fork) - 1, 4) * RANGE;
    for (int attempt = 0; attempt < 500; attempt++) {
      int port = start + ThreadLocalRandom.current().nextInt(RANGE);
      if (handedOut.add(port)) {
        if (bindable(port)) {
          return port;
        }
      }
    }
    return anyFree();
  }

  private static boolean bindable(int port) {
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static int anyFree() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    }
  }
}
