package dev.modelfleet.server.audit;

import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.ReaderInterceptor;
import jakarta.ws.rs.ext.ReaderInterceptorContext;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/**
 * Keeps the request body as the resource read it, for the audit log. The parsed entity rather than
 * the raw bytes: nothing is buffered twice, and streamed uploads (model files) are never held in
 * memory.
 */
@Provider
public class AuditBodyCapture implements ReaderInterceptor {

  static final String PROPERTY = "modelfleet.audit.body";

  @Override
  public Object aroundReadFrom(ReaderInterceptorContext context) throws IOException {
    Object entity = context.proceed();
    if (entity != null
        && !(entity instanceof InputStream
            || entity instanceof byte[]
            || entity instanceof File
            || entity instanceof Path
            || entity instanceof CharSequence)) {
      context.setProperty(PROPERTY, entity);
    }
    return entity;
  }
}
