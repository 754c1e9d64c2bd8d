/* One byte stream over libuv: a TCP handle and, for https, the socket-free TLS engine of tls.h,
 * pumped in one place for the client's connections (conn.c), the server's (src/server) and the
 * sandbox's callbacks (sb_fetch.c). The owner sees plaintext and four events; the stream keeps the
 * rules that are easy to get wrong three times:
 *  - one flush policy: whatever ciphertext the engine produced goes out in one write as soon as no
 *    write is in flight (a handshake flight, a request, a response is one write);
 *  - input already in hand is processed before the socket is asked for more (tls.c's run loop);
 *  - an alert is written before the failure is reported and the socket closed;
 *  - the end is clean (smv__stream_shutdown): close_notify, the pending output, FIN, then the peer's
 *    own end is read (bounded by a timer) before the socket is closed, so that its late close_notify
 *    and FIN never meet a closed socket, which the kernel would answer with a reset routed by the
 *    default route (another interface) instead of the stream's.
 * Loop thread only. The owner embeds the stream and frees its own memory in ev->closed_handle. */
#ifndef SMV_IO_STREAM_H
#define SMV_IO_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/alloc.h"
#include "io/tls.h"

#define SMV__STREAM_LINGER_MS 1000 /* default bound on waiting for the peer's end after ours */

typedef struct smv__stream smv__stream;

typedef struct smv__stream_events {
  /* Ready to carry data: connected (plain) or the TLS handshake complete (err 0); or failed before
   * that (err an SMV_ERR_*): then closed is not called. */
  void (*ready)(smv__stream *s, int err);
  /* Plaintext from the peer (valid during the call). */
  void (*data)(smv__stream *s, const char *buf, size_t len);
  /* A write finished (err 0: every byte handed to the kernel) or failed. */
  void (*written)(smv__stream *s, int err);
  /* After ready: the peer ended the stream (err 0: FIN or close_notify) or it failed. */
  void (*closed)(smv__stream *s, int err);
  /* Every handle is closed and the engine freed: the owner may free the memory around s. */
  void (*released)(smv__stream *s);
} smv__stream_events;

struct smv__stream {
  uv_tcp_t tcp;
  struct smv__stream_end *end; /* the linger timer and the shutdown request: made when the stream
                                  ends (not held through a handshake, where a flow's heap peaks) */
  uv_write_t write_req;
  uv_buf_t write_buf;
  smv__tls *tls;               /* NULL: plain; owned by the stream from init on */
  smv__alloc *alloc;           /* charged for the plain read buffers (and current during TLS calls) */
  const smv__stream_events *ev;
  void *owner;
  const char *plain_out;       /* the owner's plaintext being written (through TLS) */
  size_t plain_out_len;
  char *rbuf;                  /* plain: the buffer of the read in progress (one per read) */
  size_t read_size;            /* plain: bytes read at once */
  unsigned linger_ms;
  unsigned handles;            /* open libuv handles */
  unsigned char started, ready, writing, failed, paused, ending, closing, eof, timer_on, notified, fin;
};

/* Sets up the TCP handle on loop (not yet connected; see smv__stream_tcp) with tls (NULL: plain),
 * which the stream now owns (freed with it, also on failure). Returns 0 or SMV_ERR_IO. */
int smv__stream_init(smv__stream *s, uv_loop_t *loop, smv__alloc *a, smv__tls *tls,
                     size_t plain_read_size, const smv__stream_events *ev, void *owner);
/* The TCP handle, for the owner's open / connect / accept / getsockname. */
static inline uv_tcp_t *smv__stream_tcp(smv__stream *s) { return &s->tcp; }
/* Gives the stream its TLS engine (owned from now on), before smv__stream_start: a client makes it
 * only once TCP is connected. */
void smv__stream_set_tls(smv__stream *s, smv__tls *tls);
/* A stream whose TCP connect is still in progress and no longer wanted: closed after ms (0:
 * SMV__STREAM_LINGER_MS) unless closed before; the owner closes it when the connect completes. */
void smv__stream_linger_connect(smv__stream *s, unsigned ms);
/* The TCP connection is up (connected or accepted): starts reading and, for TLS, the handshake;
 * ev->ready follows. */
void smv__stream_start(smv__stream *s);
/* Replaces the event handlers and their owner (a pooled connection taken by a new hop). */
void smv__stream_attach(smv__stream *s, const smv__stream_events *ev, void *owner);
/* Writes len plaintext bytes (encrypted when TLS); ev->written reports the end. One write at a time;
 * buf must stay valid until then. Returns 0, or SMV_ERR_INTERNAL when not ready or busy. */
int smv__stream_write(smv__stream *s, const void *buf, size_t len);
/* Stops (1) or resumes (0) delivering data (and reading the socket): the owner's buffer is full. */
void smv__stream_pause(smv__stream *s, int paused);
/* Ends the stream cleanly: the write in progress completes, close_notify (TLS), FIN, then whatever
 * the peer still sends is read and dropped until its end or linger_ms (0: SMV__STREAM_LINGER_MS),
 * then the handle is closed. No event but released follows. */
void smv__stream_shutdown(smv__stream *s, unsigned linger_ms);
/* Closes at once (pending writes cancelled). No event but released follows. */
void smv__stream_close(smv__stream *s);
/* The SMV_ERR_* for a libuv error of a socket (connect, read, write). */
int smv__stream_uv_error(int status);
/* 1 while open and neither failed nor ending. */
int smv__stream_usable(const smv__stream *s);

#endif
