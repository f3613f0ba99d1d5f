package dev.modelfleet.agent.download;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EarlyWritebackTest {

  @TempDir Path dir;

  @Test
  void aLargeDownloadIsPutOnDiskWhileItRunsNotOnlyAtTheEnd() throws Exception {
    try (FileChannel channel = open("large.part");
        EarlyWriteback writeback = new EarlyWriteback(channel, 0)) {
      ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
      long position = 0;
      for (int i = 0; i < 3 * (EarlyWriteback.WINDOW >> 20) + 1; i++) {
        chunk.clear();
        position += channel.write(chunk);
        writeback.written(position);
      }
      writeback.close();
      // one at a time: a window that ends while the disk is busy waits for the next
      assertTrue(
          writeback.flushes() >= 1 && writeback.flushes() <= 3,
          "background fsyncs while 3 windows were written: " + writeback.flushes());
    }
  }

  @Test
  void anArtifactSmallerThanTheWindowStartsNoThread() throws Exception {
    int threadsBefore = Thread.activeCount();
    try (FileChannel channel = open("small.part");
        EarlyWriteback writeback = new EarlyWriteback(channel, 0)) {
      channel.write(ByteBuffer.allocate(1 << 20));
      writeback.written(1 << 20);
      assertEquals(0, writeback.flushes());
      assertTrue(
          Thread.getAllStackTraces().keySet().stream()
              .noneMatch(t -> t.getName().equals("artifact-writeback")),
          "no writeback thread for a small file (threads before: " + threadsBefore + ")");
    }
  }

  @Test
  void aResumedDownloadCountsItsWindowFromWhereItResumes() throws Exception {
    try (FileChannel channel = open("resumed.part");
        EarlyWriteback writeback = new EarlyWriteback(channel, 100L << 20)) {
      writeback.written((100L << 20) + EarlyWriteback.WINDOW - 1);
      writeback.close();
      assertEquals(0, writeback.flushes(), "the window starts at the resume point");
    }
  }

  @Test
  void closingWaitsForAnFsyncItAskedFor() throws Exception {
    try (FileChannel channel = open("closing.part")) {
      EarlyWriteback writeback = new EarlyWriteback(channel, 0);
      channel.write(ByteBuffer.allocate(1 << 20));
      writeback.written(EarlyWriteback.WINDOW);
      writeback.close();
      assertEquals(1, writeback.flushes(), "close returns once the fsync it started is done");
    }
  }

  private FileChannel open(String name) throws Exception {
    return FileChannel.open(
        dir.resolve(name), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
  }
}
