package dev.modelfleet.cli.http;

import java.io.FileNotFoundException;
import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.Flow;

/**
 * A file as a request body, read in chunks as the connection takes them (never whole in memory),
 * counting the bytes as they go so that progress can be shown. The length is known, so the request
 * carries {@code Content-Length}, as curl's {@code --data-binary @file} does.
 */
final class CountingBodyPublisher implements HttpRequest.BodyPublisher {

  private final HttpRequest.BodyPublisher file;
  private final TransferListener listener;

  CountingBodyPublisher(Path path, TransferListener listener) throws FileNotFoundException {
    this.file = HttpRequest.BodyPublishers.ofFile(path);
    this.listener = listener;
  }

  @Override
  public long contentLength() {
    return file.contentLength();
  }

  @Override
  public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
    listener.started(file.contentLength());
    file.subscribe(
        new Flow.Subscriber<ByteBuffer>() {
          private long sent;

          @Override
          public void onSubscribe(Flow.Subscription subscription) {
            subscriber.onSubscribe(subscription);
          }

          @Override
          public void onNext(ByteBuffer chunk) {
            // counted when the client asks for the next chunk: this one is on its way out
            sent += chunk.remaining();
            subscriber.onNext(chunk);
            listener.sent(sent);
          }

          @Override
          public void onError(Throwable error) {
            subscriber.onError(error);
          }

          @Override
          public void onComplete() {
            subscriber.onComplete();
            listener.bodySent();
          }
        });
  }
}
