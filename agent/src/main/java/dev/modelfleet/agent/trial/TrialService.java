package dev.modelfleet.agent.trial;

import dev.modelfleet.protocol.agent.v1.TrialReport;
import dev.modelfleet.protocol.agent.v1.TrialRequest;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs the server's trial requests one at a time, in arrival order, on a low-priority background
 * thread, and hands each report on (to be sent). Inference keeps serving.
 */
public final class TrialService implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger("modelfleet.trial");

  private final TrialRunner runner;
  private final Consumer<TrialReport> onReport;
  private final ExecutorService thread =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "trial");
            t.setDaemon(true);
            t.setPriority(Thread.MIN_PRIORITY);
            return t;
          });

  public TrialService(TrialRunner runner, Consumer<TrialReport> onReport) {
    this.runner = runner;
    this.onReport = onReport;
  }

  public void submit(TrialRequest request) {
    thread.execute(
        () -> {
          try {
            TrialReport report = runner.run(request);
            long failed =
                report.getResultsList().stream().filter(r -> !r.getError().isEmpty()).count();
            LOG.info(
                "trial "
                    + request.getTrialId()
                    + ": "
                    + report.getResultsCount()
                    + " variant(s) timed, "
                    + failed
                    + " failed");
            onReport.accept(report);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "trial " + request.getTrialId() + " failed unexpectedly", e);
          }
        });
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
