package dev.modelfleet.agent.lifecycle;

import com.github.luben.zstd.Zstd;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HexFormat;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * Build step, not shipped (agent/pom.xml runs it on each per-architecture jar and leaves it out of
 * them): replaces ONNX Runtime's library in a shaded jar with a zstd copy, stored. Deflate packs
 * the x86_64 library into 8.9 MB, zstd at level 19 into 7.0 MB, which is what keeps the jar under
 * 20 MB; {@link NativeLibraryCache} unpacks it once into the state directory. Level 19 takes ~15 s
 * per architecture, so the packed bytes are kept under {@code cacheDir}, keyed by the library's
 * CRC, and a rebuild with the same ONNX Runtime reuses them.
 *
 * <p>Usage: {@code NativeLibraryPacker JAR CACHE_DIR}.
 */
public final class NativeLibraryPacker {

  private static final String PACKED_SUFFIX = NativeLibraryCache.PACKED_SUFFIX;
  private static final int LEVEL = 19;
  private static final String[] PLATFORMS = {"linux-x64", "linux-aarch64"};
  private static final String LIBRARY = "libonnxruntime.so";

  private NativeLibraryPacker() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      throw new IllegalArgumentException("usage: NativeLibraryPacker JAR CACHE_DIR");
    }
    Path jar = Path.of(args[0]);
    Path cacheDir = Path.of(args[1]);
    Files.createDirectories(cacheDir);
    // new entries stored: zstd's output does not deflate, and a stored entry streams unchanged
    try (FileSystem zip =
        FileSystems.newFileSystem(
            URI.create("jar:" + jar.toUri()), Map.of("noCompression", "true"))) {
      for (String platform : PLATFORMS) {
        Path library = zip.getPath("/ai/onnxruntime/native/" + platform + "/" + LIBRARY);
        if (!Files.exists(library)) {
          continue;
        }
        byte[] plain = Files.readAllBytes(library);
        Files.write(library.resolveSibling(LIBRARY + PACKED_SUFFIX), packed(plain, cacheDir));
        Files.delete(library);
      }
    }
  }

  private static byte[] packed(byte[] plain, Path cacheDir) throws IOException {
    CRC32 crc = new CRC32();
    crc.update(plain);
    Path cached =
        cacheDir.resolve(
            HexFormat.of().toHexDigits((int) crc.getValue())
                + "-"
                + plain.length
                + "-"
                + LEVEL
                + PACKED_SUFFIX);
    if (Files.exists(cached)) {
      return Files.readAllBytes(cached);
    }
    byte[] packed = Zstd.compress(plain, LEVEL);
    Path temp = cacheDir.resolve(cached.getFileName() + ".tmp");
    Files.write(temp, packed);
    Files.move(temp, cached, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return packed;
  }
}
