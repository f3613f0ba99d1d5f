package dev.modelfleet.agent.lifecycle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.ZstdInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The build step that packs ONNX Runtime's library in the agent's jars. */
class NativeLibraryPackerTest {

  private static final String LIBRARY = "ai/onnxruntime/native/linux-x64/libonnxruntime.so";
  private static final String JNI = "ai/onnxruntime/native/linux-x64/libonnxruntime4j_jni.so";

  @TempDir Path dir;

  @Test
  void theLibraryIsReplacedByAStoredZstdCopyOfTheSameBytesAndTheRestOfTheJarStays()
      throws IOException {
    byte[] library = libraryLike(1 << 20);
    Path jar = jar(library);

    NativeLibraryPacker.main(new String[] {jar.toString(), dir.resolve("cache").toString()});

    try (JarFile packed = new JarFile(jar.toFile())) {
      assertNull(packed.getEntry(LIBRARY), "the deflated library is gone");
      ZipEntry zst = packed.getEntry(LIBRARY + NativeLibraryCache.PACKED_SUFFIX);
      assertEquals(ZipEntry.STORED, zst.getMethod());
      assertTrue(zst.getSize() < library.length / 2, "packed: " + zst.getSize());
      try (InputStream in = new ZstdInputStream(packed.getInputStream(zst))) {
        assertArrayEquals(library, in.readAllBytes());
      }
      assertArrayEquals(
          new byte[] {1, 2, 3}, packed.getInputStream(packed.getEntry(JNI)).readAllBytes());
      // java -jar finds its main class: the manifest is still read as one
      assertEquals("x.Main", packed.getManifest().getMainAttributes().getValue("Main-Class"));
    }
    // streamed, as the e2e's release maker and other ZipInputStream readers take a jar
    List<String> streamed = new ArrayList<>();
    try (ZipInputStream in = new ZipInputStream(Files.newInputStream(jar))) {
      for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
        streamed.add(entry.getName() + " " + in.readAllBytes().length);
      }
    }
    assertEquals(
        List.of(
            JarFile.MANIFEST_NAME + " " + manifestSize(jar),
            LIBRARY + NativeLibraryCache.PACKED_SUFFIX + " " + zstSize(jar),
            JNI + " 3"),
        streamed);
  }

  private static long manifestSize(Path jar) throws IOException {
    try (JarFile file = new JarFile(jar.toFile())) {
      return file.getEntry(JarFile.MANIFEST_NAME).getSize();
    }
  }

  private static long zstSize(Path jar) throws IOException {
    try (JarFile file = new JarFile(jar.toFile())) {
      return file.getEntry(LIBRARY + NativeLibraryCache.PACKED_SUFFIX).getSize();
    }
  }

  @Test
  void aSecondBuildWithTheSameLibraryReusesThePackedBytes() throws IOException {
    byte[] library = libraryLike(1 << 20);
    Path cache = dir.resolve("cache");
    Path first = jar(library);
    NativeLibraryPacker.main(new String[] {first.toString(), cache.toString()});
    List<Path> cached = list(cache);
    assertEquals(1, cached.size(), cached.toString());
    // a cache entry is taken as it is: prove it by planting other bytes under its name
    byte[] planted = com.github.luben.zstd.Zstd.compress(new byte[] {42});
    Files.write(cached.get(0), planted);

    Path second = Files.move(jar(library), dir.resolve("second.jar"));
    NativeLibraryPacker.main(new String[] {second.toString(), cache.toString()});

    try (JarFile packed = new JarFile(second.toFile())) {
      assertArrayEquals(
          planted,
          packed
              .getInputStream(packed.getEntry(LIBRARY + NativeLibraryCache.PACKED_SUFFIX))
              .readAllBytes());
    }
  }

  /** Machine code compresses to about half: random bytes over a small alphabet do too. */
  private static byte[] libraryLike(int size) {
    byte[] bytes = new byte[size];
    Random random = new Random(7);
    for (int i = 0; i < size; i++) {
      bytes[i] = (byte) random.nextInt(12);
    }
    return bytes;
  }

  private Path jar(byte[] library) throws IOException {
    Path jar = dir.resolve("agent.jar");
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "x.Main");
    try (OutputStream file = Files.newOutputStream(jar);
        JarOutputStream out = new JarOutputStream(file, manifest)) {
      out.putNextEntry(new ZipEntry(LIBRARY));
      out.write(library);
      out.putNextEntry(new ZipEntry(JNI));
      out.write(new byte[] {1, 2, 3});
      out.closeEntry();
    }
    return jar;
  }

  private static List<Path> list(Path directory) throws IOException {
    try (var files = Files.list(directory)) {
      return new ArrayList<>(files.toList());
    }
  }
}
