/* One TCP connection of a client, plain or through TLS, bound to the flow's path, and the client's
 * keep-alive pool. */
#ifndef SMV_IO_CONN_H
#define SMV_IO_CONN_H

#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "core/alloc.h"
#include "io/client.h"
#include "io/stream.h"
#include "io/tls.h"
#include "platform.h"
#include "smv.h"

/* ---- Connections (conn.c) ------------------------------------------------------------------------ */
typedef struct smv__conn_events {
  /* TCP connected and the local address checked (err 0), or not: a connection attempt's result
   * (race.c). After err 0 the owner calls smv__conn_start. NULL: start at once. */
  void (*connected)(smv__conn *c, int err, void *ud);
  /* Ready to carry requests: for TLS, handshake done (err 0), or failed. */
  void (*ready)(smv__conn *c, int err, void *ud);
  /* Plaintext from the peer. */
  void (*data)(smv__conn *c, const char *buf, size_t len, void *ud);
  /* The peer closed (err 0: clean EOF / close_notify) or the connection failed. */
  void (*closed)(smv__conn *c, int err, void *ud);
  /* A write finished (err 0) or failed. */
  void (*written)(smv__conn *c, int err, void *ud);
} smv__conn_events;

struct smv__conn {
  smv_client *client;
  smv__stream st;               /* the TCP handle and, for https, the TLS engine (st.tls) */
  int fd;
  int connected;                /* TCP connected (the TLS handshake may still be running) */
  int closing;
  int abandoned;                /* a lost race: ends as soon as its connect does, or after a bound */
  int tls;                      /* https: the engine is made once TCP is connected (smv__conn_start),
                                   so that racing attempts do not each hold a TLS engine's buffers */
  char *host;                   /* the URL's host, for the engine (allocated with the conn) */
  unsigned port;
  struct sockaddr_storage remote;
  char remote_text[64], local_text[64];
  const smv__conn_events *ev;
  void *ud;
  const smv__path *path;        /* while connecting: the local address is checked against it */
  const smv__path *path_bound;  /* the path (or CLAT) its socket is bound to */
  uv_connect_t connect_req;
  uint64_t idle_since_ns;
  uint64_t connected_ns;        /* when TCP connected (the TLS handshake's start) */
  smv__conn *next;
  unsigned requests;            /* requests sent on this connection */
  char key[];                   /* reuse key: "https://host:port%ifname", allocated with the conn */
};

/* The connection's TLS engine, or NULL (plain HTTP). */
static inline smv__tls *smv__conn_tls(const smv__conn *c) { return c->st.tls; }

#define SMV__CONN_KEY_MAX 320
/* The pool key of a connection: "https://host:port%ifname" (a connection is reused only for the
 * same scheme, host, port and path). */
void smv__conn_key(char key[SMV__CONN_KEY_MAX], int tls, const char *host, unsigned port, const char *ifname);
/* A new connection, not yet connected. */
int smv__conn_new(smv_client *cl, const char *key, const char *host, unsigned port, int tls,
                  smv__conn **out);
/* Opens a socket bound to path, connects to addr (TCP_NODELAY), checks the local address against the
 * path, and runs the TLS handshake; ev->ready reports the end. */
int smv__conn_connect(smv__conn *c, const smv__path *path, const struct sockaddr *addr,
                      const smv__conn_events *ev, void *ud);
/* After the connected event: makes the TLS engine (https) and starts the stream; ev->ready follows. */
void smv__conn_start(smv__conn *c);
/* The connection is not wanted (an attempt that lost the race): a connect in progress is let finish,
 * at most SMV__STREAM_LINGER_MS, so that a late SYN-ACK meets a socket rather than a reset that would
 * leave by the default route; then, or at once when connected, the connection ends. No more events. */
void smv__conn_abandon(smv__conn *c);
/* Reassigns the event handlers (a pooled connection taken by a new hop). */
void smv__conn_attach(smv__conn *c, const smv__conn_events *ev, void *ud);
/* Writes len bytes (through TLS when on); ev->written reports the end. One write at a time; buf must
 * stay valid until then. */
int smv__conn_write(smv__conn *c, const char *buf, size_t len);
/* Ends the connection cleanly (smv__stream_shutdown: close_notify, FIN, the peer's end read within a
 * short linger), also after a failure; the memory goes when libuv has closed the handle. */
void smv__conn_close(smv__conn *c);
/* Keep-alive pool. */
void smv__conn_pool_put(smv__conn *c);
smv__conn *smv__conn_pool_take(smv_client *cl, const char *key);
void smv__conn_pool_clear(smv_client *cl);
#endif
