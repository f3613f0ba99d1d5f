package dev.modelfleet.server.agentapi;

import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.common.ApiException;
import dev.modelfleet.server.common.DataErrors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.jboss.logging.Logger;

/** The agent-API face of {@link ApiError}: a gRPC status with the actionable detail. */
final class GrpcErrors {

  private static final Logger LOG = Logger.getLogger(GrpcErrors.class);

  private GrpcErrors() {}

  static StatusRuntimeException toStatus(Throwable failure) {
    if (failure instanceof ApiException e) {
      return Status.fromCode(e.error().grpcCode()).withDescription(e.detail()).asRuntimeException();
    }
    if (failure instanceof StatusRuntimeException e) {
      return e;
    }
    if (DataErrors.isBadValue(failure)) {
      return Status.INVALID_ARGUMENT.withDescription(DataErrors.DETAIL).asRuntimeException();
    }
    LOG.error("agent call failed", failure);
    return Status.INTERNAL
        .withDescription("the server failed; retry with backoff")
        .asRuntimeException();
  }
}
