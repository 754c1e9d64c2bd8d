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
  /* Connected and, for TLS, handshake done (err 0), or failed. */
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
  unsigned port;
  struct sockaddr_storage remote;
  char remote_text[64], local_text[64];
  const smv__conn_events *ev;
  void *ud;
  const smv__path *path;        /* while connecting: the local address is checked against it */
  uv_connect_t connect_req;
  uint64_t idle_since_ns;
  uint64_t connected_ns;        /* when TCP connected (the TLS handshake's start) */
  smv__conn *next;
  unsigned requests;            /* requests sent on this connection */
  char key[];                   /* reuse key: "https://host:port%ifname", allocated with the conn */
};

/* The connection's TLS engine, or NULL (plain HTTP). */
static inline smv__tls *smv__conn_tls(const smv__conn *c) { return c->st.tls; }

/* A new connection, not yet connected. */
int smv__conn_new(smv_client *cl, const char *key, const char *host, unsigned port, int tls,
                  smv__conn **out);
/* Opens a socket bound to path, connects to addr (TCP_NODELAY), checks the local address against the
 * path, and runs the TLS handshake; ev->ready reports the end. */
int smv__conn_connect(smv__conn *c, const smv__path *path, const struct sockaddr *addr,
                      const smv__conn_events *ev, void *ud);
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
