/* The byte stream of stream.h: libuv does the socket, the TLS engine the bytes, this file the
 * order in which they meet. */
#include "io/stream.h"

#include <string.h>

#include "smv.h"

#define SMV__STREAM_TLS_CHUNK 4096 /* plaintext decrypted at once onto the stack */

struct smv__stream_end {
  uv_timer_t linger;           /* bounds the wait for the peer's end */
  uv_shutdown_t req;
};

static void pump(smv__stream *s);
static void flush(smv__stream *s);
static void begin_close(smv__stream *s);
static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf);

int smv__stream_uv_error(int status) {
  switch (status) {
  case UV_ECONNREFUSED: return SMV_ERR_CONNECT_REFUSED;
  case UV_ENETUNREACH:
  case UV_EHOSTUNREACH:
  case UV_EADDRNOTAVAIL:
  case UV_ENETDOWN: return SMV_ERR_CONNECT_UNREACH;
  case UV_ECONNRESET:
  case UV_EPIPE:
  case UV_ECONNABORTED: return SMV_ERR_CONN_RESET;
  case UV_ENODEV:
  case UV_ENXIO: return SMV_ERR_PATH_LOST;
  case UV_ENOMEM:
  case UV_ENOBUFS: return SMV_ERR_NOMEM;
  default: return SMV_ERR_CONNECT;
  }
}

/* ---- lifetime ------------------------------------------------------------------------------------ */
static void on_handle_closed(uv_handle_t *h) {
  smv__stream *s = h->data;
  if (--s->handles > 0) return;
  smv__free(s->alloc, s->rbuf);
  s->rbuf = NULL;
  smv__free(s->alloc, s->end);
  s->end = NULL;
  if (s->tls) smv__tls_free(s->tls);
  s->tls = NULL;
  if (s->ev && s->ev->released) s->ev->released(s);
}

int smv__stream_init(smv__stream *s, uv_loop_t *loop, smv__alloc *a, smv__tls *tls,
                     size_t plain_read_size, const smv__stream_events *ev, void *owner) {
  memset(s, 0, sizeof(*s));
  s->alloc = a;
  s->tls = tls;
  s->ev = ev;
  s->owner = owner;
  s->read_size = plain_read_size ? plain_read_size : 2048;
  if (uv_tcp_init(loop, &s->tcp) != 0) {
    if (tls) smv__tls_free(tls);
    s->tls = NULL;
    return SMV_ERR_IO;
  }
  s->tcp.data = s;
  s->handles = 1;
  return 0;
}

void smv__stream_attach(smv__stream *s, const smv__stream_events *ev, void *owner) {
  s->ev = ev;
  s->owner = owner;
}

int smv__stream_usable(const smv__stream *s) { return !s->failed && !s->ending && !s->closing; }

/* Closes the handles now; released follows. */
void smv__stream_close(smv__stream *s) {
  if (s->closing) return;
  s->closing = s->ending = 1;
  if (s->timer_on) {
    uv_timer_stop(&s->end->linger);
    uv_close((uv_handle_t *)&s->end->linger, on_handle_closed);
  }
  uv_read_stop((uv_stream_t *)&s->tcp);
  uv_close((uv_handle_t *)&s->tcp, on_handle_closed);
}

/* A failure: reported once, as ready (before the stream was ready) or closed (after). The alert or
 * whatever the engine has pending still goes out: the stream ends with a short linger. */
static void fail(smv__stream *s, int err) {
  if (s->failed || s->ending) return;
  s->failed = 1;
  const smv__stream_events *ev = s->ev;
  if (!s->ready) {
    if (ev && ev->ready) ev->ready(s, err);
  } else if (ev && ev->closed) {
    ev->closed(s, err);
  }
}

/* ---- the clean end ------------------------------------------------------------------------------- */
static void on_linger(uv_timer_t *t) { smv__stream_close(t->data); }

static void on_shutdown(uv_shutdown_t *req, int status) {
  smv__stream *s = req->data;
  if (s->closing || uv_is_closing((uv_handle_t *)&s->tcp)) return;
  /* FIN sent (or the socket is gone): now only the peer's end is awaited; a failed shutdown leaves
   * nothing to wait for. */
  if (status < 0 || s->eof) smv__stream_close(s);
}

/* Starts the linger timer (making the end's state): 1, or 0 when the stream was closed instead. */
static int start_linger(smv__stream *s, unsigned ms) {
  if (!s->end && !(s->end = smv__malloc(s->alloc, sizeof(*s->end)))) {
    smv__stream_close(s);
    return 0;
  }
  if (!s->timer_on) {
    if (uv_timer_init(s->tcp.loop, &s->end->linger) != 0) {
      smv__stream_close(s);
      return 0;
    }
    s->end->linger.data = s;
    s->timer_on = 1;
    s->handles++;
  }
  uv_timer_start(&s->end->linger, on_linger, ms, 0);
  return 1;
}

/* The write in progress is done: send our end (close_notify, then FIN once it is written), then
 * wait for the peer's. Called again by on_write until the FIN is out. */
static void begin_close(smv__stream *s) {
  if (s->closing || s->fin) return;
  if (s->tls && s->ready && !s->failed && !s->notified) {
    s->notified = 1;
    (void)smv__tls_close_notify(s->tls);
  }
  flush(s);
  if (s->writing) return;
  s->fin = 1;
  /* Without memory for the linger, the socket closes at once (what the kernel then does with late
   * packets is the only loss). */
  if (!start_linger(s, s->linger_ms)) return;
  s->end->req.data = s;
  if (uv_shutdown(&s->end->req, (uv_stream_t *)&s->tcp, on_shutdown) != 0) {
    smv__stream_close(s);
    return;
  }
  /* Whatever the peer still sends is read (alloc_cb gives the discard buffer) until its FIN. */
  if (s->paused) {
    s->paused = 0;
    if (uv_read_start((uv_stream_t *)&s->tcp, alloc_cb, read_cb) != 0) smv__stream_close(s);
  }
}

void smv__stream_shutdown(smv__stream *s, unsigned linger_ms) {
  if (s->ending || s->closing) return;
  s->ending = 1;
  s->linger_ms = linger_ms ? linger_ms : SMV__STREAM_LINGER_MS;
  if (!s->started || s->eof) {
    /* never connected, or the peer is gone already: nothing to say, nothing to wait for */
    smv__stream_close(s);
    return;
  }
  if (s->plain_out_len > 0 && !s->failed) return; /* pump finishes the write, then comes back */
  begin_close(s);
}

/* ---- writing ------------------------------------------------------------------------------------- */
static void on_write(uv_write_t *req, int status) {
  smv__stream *s = req->data;
  s->writing = 0;
  if (s->closing || uv_is_closing((uv_handle_t *)&s->tcp)) return;
  if (status < 0) {
    if (s->ending) smv__stream_close(s);
    else fail(s, smv__stream_uv_error(status));
    return;
  }
  if (s->tls) {
    smv__tls_consume_out(s->tls, s->write_buf.len);
    if (s->ending && (s->failed || s->plain_out_len == 0)) begin_close(s);
    else pump(s);
    return;
  }
  s->plain_out = NULL;
  s->plain_out_len = 0;
  if (s->ending) {
    begin_close(s);
    return;
  }
  if (s->ev && s->ev->written) s->ev->written(s, 0);
}

/* The one flush: the engine's pending ciphertext in one write, unless a write is in flight. */
static void flush(smv__stream *s) {
  if (s->writing || s->closing || !s->tls) return;
  const uint8_t *p;
  size_t n;
  smv__tls_pending_out(s->tls, &p, &n);
  if (n == 0) return;
  s->write_buf = uv_buf_init((char *)(uintptr_t)p, (unsigned)n);
  s->write_req.data = s;
  int rc = uv_write(&s->write_req, (uv_stream_t *)&s->tcp, &s->write_buf, 1, on_write);
  if (rc < 0) {
    smv__tls_consume_out(s->tls, n); /* nothing will carry it */
    if (s->ending) smv__stream_close(s);
    else fail(s, smv__stream_uv_error(rc));
    return;
  }
  s->writing = 1;
}

int smv__stream_write(smv__stream *s, const void *buf, size_t len) {
  if (!s->ready || s->failed || s->ending || s->plain_out || (!s->tls && s->writing))
    return SMV_ERR_INTERNAL;
  s->plain_out = buf;
  s->plain_out_len = len;
  if (s->tls) {
    pump(s);
    return 0;
  }
  s->write_buf = uv_buf_init((char *)(uintptr_t)buf, (unsigned)len);
  s->write_req.data = s;
  int rc = uv_write(&s->write_req, (uv_stream_t *)&s->tcp, &s->write_buf, 1, on_write);
  if (rc < 0) {
    s->plain_out = NULL;
    s->plain_out_len = 0;
    return smv__stream_uv_error(rc);
  }
  s->writing = 1;
  return 0;
}

/* ---- the TLS pump -------------------------------------------------------------------------------- */
/* Moves the engine as far as it goes: handshake, the plaintext being written, reads. */
static void pump(smv__stream *s) {
  char buf[SMV__STREAM_TLS_CHUNK];
  if (s->closing || s->failed) return;
  if (!s->ready) {
    int rc = smv__tls_handshake(s->tls);
    flush(s); /* the next flight, or the alert of a failure */
    if (rc == SMV__TLS_WANT_IO) return;
    if (rc != 0) {
      fail(s, rc);
      return;
    }
    s->ready = 1;
    if (s->ev && s->ev->ready) s->ev->ready(s, 0);
    if (s->closing || s->failed) return;
  }
  while (s->plain_out_len > 0 && !s->writing) {
    int rc = smv__tls_write(s->tls, s->plain_out, s->plain_out_len);
    if (rc == SMV__TLS_WANT_IO) {
      flush(s);
      break;
    }
    if (rc < 0) {
      fail(s, rc);
      return;
    }
    s->plain_out += rc;
    s->plain_out_len -= (size_t)rc;
  }
  flush(s);
  if (s->plain_out && s->plain_out_len == 0 && !s->writing) {
    /* every byte encrypted and written out */
    s->plain_out = NULL;
    if (s->ending) {
      begin_close(s);
      return;
    }
    if (s->ev && s->ev->written) s->ev->written(s, 0);
    if (s->closing || s->failed) return;
  }
  while (!s->paused && !s->ending) {
    int rc = smv__tls_read(s->tls, buf, sizeof(buf));
    if (rc > 0) {
      if (s->ev && s->ev->data) s->ev->data(s, buf, (size_t)rc);
      if (s->closing || s->failed) return;
      continue;
    }
    if (rc == 0) { /* close_notify */
      s->eof = 1;
      fail(s, 0);
      return;
    }
    if (rc == SMV__TLS_WANT_IO) break;
    fail(s, rc);
    return;
  }
  flush(s);
}

/* ---- reading ------------------------------------------------------------------------------------- */
static char smv__stream_discard[512]; /* what arrives while a stream ends: read and dropped */

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  smv__stream *s = h->data;
  if (s->ending) {
    *buf = uv_buf_init(smv__stream_discard, sizeof(smv__stream_discard));
  } else if (s->tls) {
    uint8_t *p;
    size_t n;
    smv__tls_in_space(s->tls, &p, &n);
    *buf = uv_buf_init((char *)p, (unsigned)n);
  } else {
    /* Plain: a buffer per read, released after it, so that idle connections hold none. */
    s->rbuf = smv__malloc(s->alloc, s->read_size);
    *buf = uv_buf_init(s->rbuf, s->rbuf ? (unsigned)s->read_size : 0);
  }
}

static void read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf) {
  (void)buf;
  smv__stream *s = st->data;
  char *plain = s->rbuf;
  s->rbuf = NULL;
  if (s->closing) {
    smv__free(s->alloc, plain);
    return;
  }
  if (s->ending) {
    smv__free(s->alloc, plain);
    if (nread < 0) { /* the peer's end (or a failure): nothing is left to wait for */
      s->eof = 1;
      smv__stream_close(s);
    }
    return;
  }
  if (nread > 0 && !s->tls) {
    if (!s->failed && s->ev && s->ev->data) s->ev->data(s, plain, (size_t)nread);
    smv__free(s->alloc, plain);
    return;
  }
  smv__free(s->alloc, plain);
  if (s->failed) return;
  if (nread == UV_EOF) {
    s->eof = 1;
    /* a peer that closes during the handshake refused it */
    fail(s, s->ready ? 0 : s->tls ? SMV_ERR_TLS_HANDSHAKE : SMV_ERR_CONN_RESET);
    return;
  }
  if (nread < 0) {
    fail(s, nread == UV_ENOBUFS ? SMV_ERR_NOMEM : smv__stream_uv_error((int)nread));
    return;
  }
  if (nread == 0) return;
  smv__tls_in_commit(s->tls, (size_t)nread);
  pump(s);
}

void smv__stream_pause(smv__stream *s, int paused) {
  if (s->ending || s->closing || s->paused == (paused != 0)) return;
  s->paused = paused != 0;
  if (s->paused) {
    uv_read_stop((uv_stream_t *)&s->tcp);
    return;
  }
  if (uv_read_start((uv_stream_t *)&s->tcp, alloc_cb, read_cb) != 0) {
    fail(s, SMV_ERR_IO);
    return;
  }
  if (s->tls && s->ready) pump(s); /* what was decrypted, or is in hand, comes first */
}

void smv__stream_set_tls(smv__stream *s, smv__tls *tls) { s->tls = tls; }

void smv__stream_linger_connect(smv__stream *s, unsigned ms) {
  if (s->closing || s->timer_on) return;
  (void)start_linger(s, ms ? ms : SMV__STREAM_LINGER_MS);
}

void smv__stream_start(smv__stream *s) {
  s->started = 1;
  if (uv_read_start((uv_stream_t *)&s->tcp, alloc_cb, read_cb) != 0) {
    fail(s, SMV_ERR_IO);
    return;
  }
  if (!s->tls) {
    s->ready = 1;
    if (s->ev && s->ev->ready) s->ev->ready(s, 0);
    return;
  }
  pump(s);
}
