package dev.modelfleet.agent.lifecycle;

import com.github.luben.zstd.Zstd;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HexFormat;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

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
    Path packedJar = jar.resolveSibling(jar.getFileName() + ".packing");
    // Rewritten entry by entry, in order: the packed library goes in stored with its size and CRC
    // up front, since readers such as ZipInputStream (release checks, the e2e's release maker)
    // refuse a stored entry whose sizes follow its data.
    try (ZipFile in = new ZipFile(jar.toFile());
        ZipOutputStream out =
            new ZipOutputStream(new BufferedOutputStream(Files.newOutputStream(packedJar)))) {
      for (ZipEntry entry : java.util.Collections.list(in.entries())) {
        if (isLibrary(entry.getName())) {
          byte[] packed;
          try (InputStream plain = in.getInputStream(entry)) {
            packed = packed(plain.readAllBytes(), cacheDir);
          }
          ZipEntry stored = new ZipEntry(entry.getName() + PACKED_SUFFIX);
          stored.setMethod(ZipEntry.STORED);
          stored.setSize(packed.length);
          stored.setCompressedSize(packed.length);
          CRC32 crc = new CRC32();
          crc.update(packed);
          stored.setCrc(crc.getValue());
          stored.setTime(entry.getTime());
          out.putNextEntry(stored);
          out.write(packed);
        } else {
          ZipEntry copy = new ZipEntry(entry.getName());
          copy.setTime(entry.getTime());
          if (entry.getMethod() == ZipEntry.STORED) {
            copy.setMethod(ZipEntry.STORED);
            copy.setSize(entry.getSize());
            copy.setCompressedSize(entry.getSize());
            copy.setCrc(entry.getCrc());
          }
          out.putNextEntry(copy);
          try (InputStream data = in.getInputStream(entry)) {
            data.transferTo(out);
          }
        }
        out.closeEntry();
      }
    }
    Files.move(packedJar, jar, StandardCopyOption.REPLACE_EXISTING);
  }

  private static boolean isLibrary(String name) {
    for (String platform : PLATFORMS) {
      if (name.equals("ai/onnxruntime/native/" + platform + "/" + LIBRARY)) {
        return true;
      }
    }
    return false;
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
