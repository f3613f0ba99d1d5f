package dev.modelfleet.agent.lifecycle;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.logging.Logger;

/**
 * Extracts ONNX Runtime's native libraries once into the state directory and points {@code
 * onnxruntime.native.path} at them. Without it, every start unpacks ~22 MB into /tmp (slow on SD
 * cards, and /tmp may be noexec); the cache is keyed by the libraries' CRC in the jar, so an agent
 * upgrade extracts its own copy.
 */
final class NativeLibraryCache {

  private static final Logger LOG = Logger.getLogger("modelfleet.agent");
  private static final String[] LIBRARIES = {"libonnxruntime.so", "libonnxruntime4j_jni.so"};

  private NativeLibraryCache() {}

  static void use(Path cacheRoot) {
    if (System.getProperty("onnxruntime.native.path") != null) {
      return;
    }
    String platform = platform();
    if (platform == null) {
      return;
    }
    try {
      String prefix = "/ai/onnxruntime/native/" + platform + "/";
      URL main = NativeLibraryCache.class.getResource(prefix + LIBRARIES[0]);
      if (main == null) {
        return;
      }
      URLConnection connection = main.openConnection();
      String key =
          connection instanceof JarURLConnection jar
              ? Long.toHexString(jar.getJarEntry().getCrc()) + "-" + jar.getJarEntry().getSize()
              : "dev";
      Path dir = cacheRoot.resolve(platform + "-" + key);
      if (!Files.exists(dir.resolve(LIBRARIES[1]))) {
        Files.createDirectories(dir);
        for (String library : LIBRARIES) {
          Path temp = dir.resolve(library + ".tmp");
          try (InputStream in = NativeLibraryCache.class.getResourceAsStream(prefix + library)) {
            if (in == null) {
              return;
            }
            Files.copy(in, temp, StandardCopyOption.REPLACE_EXISTING);
          }
          Files.move(
              temp,
              dir.resolve(library),
              StandardCopyOption.ATOMIC_MOVE,
              StandardCopyOption.REPLACE_EXISTING);
        }
      }
      System.setProperty("onnxruntime.native.path", dir.toString());
    } catch (IOException | RuntimeException e) {
      LOG.fine("native library cache unavailable, ONNX Runtime extracts to /tmp: " + e);
    }
  }

  private static String platform() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "");
    if (!os.contains("linux")) {
      return null;
    }
    return switch (arch) {
      case "amd64", "x86_64" -> "linux-x64";
      case "aarch64" -> "linux-aarch64";
      default -> null;
    };
  }
}
