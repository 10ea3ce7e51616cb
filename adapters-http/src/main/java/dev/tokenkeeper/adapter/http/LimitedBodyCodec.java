package dev.tokenkeeper.adapter.http;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;
import io.vertx.ext.web.codec.BodyCodec;
import io.vertx.ext.web.codec.spi.BodyStream;

/**
 * A body codec that buffers at most {@code limit} bytes. When a body would grow past the limit (or
 * the request was {@link #abort() aborted}) it calls {@code onOverflow} once and stops reading: it
 * reports its write queue as full forever, so the pipe pauses the response and the connection gets
 * no more reads (TCP back-pressure) until the request's idle timeout closes it. Nothing past the
 * limit is ever held in memory, whatever the server sends or claims in Content-Length.
 *
 * <p>One instance per request.
 */
final class LimitedBodyCodec implements BodyCodec<Buffer> {

    private final int limit;
    private final Runnable onOverflow;
    private volatile boolean aborted;

    LimitedBodyCodec(int limit, Runnable onOverflow) {
        this.limit = limit;
        this.onOverflow = onOverflow;
    }

    /** Stops reading the body, e.g. because the caller's deadline passed. */
    void abort() {
        aborted = true;
    }

    @Override
    public BodyStream<Buffer> stream() {
        return new LimitedStream();
    }

    private final class LimitedStream implements BodyStream<Buffer> {
        private final Buffer buffer = Buffer.buffer();
        private final Promise<Buffer> state = Promise.promise();
        private boolean stopped;

        @Override
        public void handle(Throwable cause) {
            state.tryFail(cause);
        }

        @Override
        public Future<Buffer> result() {
            return state.future();
        }

        @Override
        public Future<Void> write(Buffer data) {
            if (stopped) {
                return Future.succeededFuture();
            }
            if (aborted || (long) buffer.length() + data.length() > limit) {
                stopped = true;
                if (!aborted) {
                    onOverflow.run();
                }
                state.tryFail(new IllegalStateException("response body exceeds the limit"));
                return Future.succeededFuture();
            }
            buffer.appendBuffer(data);
            return Future.succeededFuture();
        }

        @Override
        public Future<Void> end() {
            return state.tryComplete(buffer) ? Future.succeededFuture() : Future.failedFuture("body stream already ended");
        }

        @Override
        public boolean writeQueueFull() {
            return stopped; // once stopped, the pipe pauses the response and never resumes it
        }

        @Override
        public WriteStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
            return this;
        }

        @Override
        public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
            return this;
        }

        @Override
        public WriteStream<Buffer> drainHandler(Handler<Void> handler) {
            return this; // never drains once stopped
        }
    }
}
