package dev.modelfleet.agent.lifecycle;

import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.util.Native;
import java.io.BufferedInputStream;
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
 * upgrade extracts its own copy. In the per-architecture jars the main library is packed with zstd
 * ({@link NativeLibraryPacker}: 1.9 MB less jar), which ONNX Runtime cannot read itself: where the
 * state directory cannot take it, it is unpacked into a temporary directory for this run.
 */
final class NativeLibraryCache {

  /** What a packed library's name ends with in the jar. */
  static final String PACKED_SUFFIX = ".zst";

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
    String prefix = "/ai/onnxruntime/native/" + platform + "/";
    URL main = NativeLibraryCache.class.getResource(prefix + LIBRARIES[0]);
    boolean packed = main == null;
    if (packed) {
      main = NativeLibraryCache.class.getResource(prefix + LIBRARIES[0] + PACKED_SUFFIX);
      if (main == null) {
        return;
      }
    }
    try {
      extract(prefix, cacheRoot.resolve(platform + "-" + key(main)), cacheRoot, false);
    } catch (IOException | RuntimeException e) {
      if (!packed) {
        LOG.fine("native library cache unavailable, ONNX Runtime extracts to /tmp: " + e);
        return;
      }
      try {
        Path temp = Files.createTempDirectory("modelfleet-ort");
        extract(prefix, temp, temp, true);
        LOG.info("native library cache unavailable (" + e + "); ONNX Runtime unpacked in " + temp);
      } catch (IOException | RuntimeException again) {
        again.addSuppressed(e);
        LOG.warning("cannot unpack ONNX Runtime's library: " + again);
      }
    }
  }

  private static String key(URL main) throws IOException {
    URLConnection connection = main.openConnection();
    return connection instanceof JarURLConnection jar
        ? Long.toHexString(jar.getJarEntry().getCrc()) + "-" + jar.getJarEntry().getSize()
        : "dev";
  }

  /**
   * Writes the libraries into {@code dir} unless there already (each renamed into place once
   * whole), then points ONNX Runtime there; {@code zstdDir} takes zstd's own library when needed.
   */
  private static void extract(String prefix, Path dir, Path zstdDir, boolean temporary)
      throws IOException {
    if (temporary) {
      dir.toFile().deleteOnExit(); // registered first, deleted last: after its files
    }
    if (!Files.exists(dir.resolve(LIBRARIES[1]))) {
      Files.createDirectories(dir);
      for (String library : LIBRARIES) {
        Path temp = dir.resolve(library + ".tmp");
        try (InputStream in = open(prefix + library, zstdDir)) {
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
        if (temporary) {
          dir.resolve(library).toFile().deleteOnExit();
        }
      }
    }
    System.setProperty("onnxruntime.native.path", dir.toString());
  }

  /** The library as the jar holds it, unpacked when packed; null when the jar has neither. */
  private static InputStream open(String name, Path zstdDir) throws IOException {
    InputStream plain = NativeLibraryCache.class.getResourceAsStream(name);
    if (plain != null) {
      return plain;
    }
    InputStream packed = NativeLibraryCache.class.getResourceAsStream(name + PACKED_SUFFIX);
    if (packed == null) {
      return null;
    }
    // zstd-jni extracts its own library too: beside ONNX Runtime's, since /tmp may be noexec
    Native.load(zstdDir.toFile());
    return new ZstdInputStream(new BufferedInputStream(packed, 1 << 16));
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
