package dev.modelfleet.cli.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.modelfleet.cli.output.Terminal;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TransferProgressTest {

  @Test
  void theLineSaysBytesRateAndTimeLeft() {
    AtomicLong now = new AtomicLong();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try (TransferProgress progress =
        new TransferProgress(
            new ProgressLine(new PrintStream(err, true), Terminal.plain()), "m.onnx", now::get)) {
      progress.started(100L * 1024 * 1024);
      now.set(2_000_000_000L);
      progress.sent(40L * 1024 * 1024);
      assertEquals(
          "uploading m.onnx: 40.0 MiB of 100.0 MiB (40 %), 21.0 MB/s, 3s left",
          progress.status(now.get(), false));
      assertEquals(
          "uploading m.onnx [##########..............]  40.0 MiB / 100.0 MiB  40%  21.0 MB/s  3s left",
          progress.status(now.get(), true));
    }
  }
}
