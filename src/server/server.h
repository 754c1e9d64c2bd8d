/* The HTTP(S)/1.1 server shared by the sandbox and the project's test server.
 *
 * Why it exists: both need the same hardened listener on libuv (TLS through the socket-free engine of
 * src/io/tls.h, requests through the framing-checked reader of src/core/http_request.h), with every
 * connection's memory and time bounded, and a handler that may answer later (operator delays, stalls).
 *
 * Model: one smv__server on a uv_loop_t, any number of listeners (plain or TLS), one handler for all.
 * Each request is read whole (head and body, within the limits) before the handler is called; the
 * handler answers through the smv__srv_response it is given, at once or later from the same loop.
 * Requests on one connection are served one at a time (no pipelining: the next request is read
 * after the previous response was written). Every response goes out in one write.
 *
 * Malformed requests never reach the handler: the server answers 400 (framing), 413 (body too large),
 * 431 (header block too large) or 408 (request timeout, plain HTTP only) and closes the connection.
 * Everything here is used from the loop's thread only.
 */
#ifndef SMV_SERVER_SERVER_H
#define SMV_SERVER_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct smv__server smv__server;
typedef struct smv__srv_listener smv__srv_listener;
typedef struct smv__srv_response smv__srv_response;

/* Zero in any field means the default given beside it. */
typedef struct smv__srv_limits {
  size_t max_header_bytes;        /* 16384: request line + headers; above: 431 and close */
  size_t max_body_bytes;          /* 65536: above: 413 and close */
  size_t max_headers;             /* 64 header fields; above: 431 and close */
  unsigned max_connections;       /* 256 open at once; above: accepted and closed at once */
  unsigned max_requests_per_conn; /* 100; the last response carries "Connection: close" */
  uint64_t idle_timeout_ms;       /* 5000: waiting for the first byte of a request (after accept
                                     or after the previous response) */
  uint64_t request_timeout_ms;    /* 10000: from the first byte of a request (TLS handshake
                                     included) to its last body byte; a client that trickles its
                                     headers is cut off here whatever its pace */
  uint64_t write_timeout_ms;      /* 10000: a response not taken by the peer within this is dropped */
} smv__srv_limits;

typedef struct smv__srv_header {
  const char *name;  /* NUL-terminated, as received (compare case-insensitively) */
  const char *value; /* NUL-terminated, leading/trailing whitespace removed */
} smv__srv_header;

/* A complete request. Every pointer stays valid until the response is sent or aborted. */
typedef struct smv__srv_request {
  const char *method;             /* "GET" */
  const char *target;             /* the request-target as sent: "/path?query" */
  const smv__srv_header *headers; /* in the order received */
  size_t header_count;
  const uint8_t *body;            /* never NULL (points at "" when empty); NUL-terminated too */
  size_t body_len;
  char peer_ip[46];               /* the peer as this server saw it: "127.0.0.1", "::1" */
  uint16_t peer_port;
  char local_ip[46];              /* the local end of the connection */
  uint16_t local_port;
  int tls;                        /* 1 when the request came over TLS */
  const char *tls_version;        /* "tls1.3", "tls1.2" or "none" */
  int tls_resumed;                /* 1 when the TLS session was resumed (ticket or session id) */
  smv__srv_listener *listener;    /* which listener accepted the connection */
  void *listener_data;            /* the listener's user data (smv__server_listen) */
  uint64_t conn_id;               /* 1, 2, ... per server: which requests shared a connection */
  unsigned conn_request_index;    /* 1 for the first request on its connection, 2 for the next... */
} smv__srv_request;

/* Called once per complete request. The handler must eventually call smv__srv_response_send (or
 * _send_raw) exactly once, now or later; or never, if the connection closes first (see
 * smv__srv_response_on_abort). */
typedef void (*smv__srv_handler)(smv__server *srv, const smv__srv_request *req,
                                 smv__srv_response *res, void *user_data);

typedef struct smv__srv_config {
  smv__srv_limits limits;
  smv__srv_handler handler;       /* required */
  void *user_data;                /* passed to the handler */
  const char *server_header;      /* "Server:" value on every response; NULL: none */
} smv__srv_config;

/* TLS for a listener. PEM text, NUL-terminated (the cert may be a chain, leaf first).
 * The server issues session tickets (TLS 1.3 tickets, TLS 1.2 RFC 5077 tickets) unless disabled,
 * so a client resumes its session across connections. */
typedef struct smv__srv_tls {
  const char *cert_pem;
  const char *key_pem;
  int no_session_tickets;         /* 1: do not issue tickets (tests of full handshakes) */
} smv__srv_tls;

typedef struct smv__srv_stats {
  uint64_t accepted;          /* connections accepted and served */
  uint64_t refused;           /* connections closed at once: over max_connections, or draining */
  uint64_t active;            /* connections open now */
  uint64_t requests;          /* requests handed to the handler */
  uint64_t rejected;          /* requests answered 400/408/413/431 by the server itself */
  uint64_t timeouts;          /* connections cut off by a timeout */
  uint64_t tls_full;          /* full TLS handshakes completed */
  uint64_t tls_resumed;       /* resumed TLS handshakes completed */
  uint64_t tls_failed;        /* TLS handshakes that failed */
  size_t heap_current;        /* bytes the server itself holds now (its own allocations) */
  size_t heap_peak;
} smv__srv_stats;

/* Creates a server on loop. Returns 0 or a negative SMV_ERR_* (NOMEM, INVALID_ARG). */
int smv__server_new(uv_loop_t *loop, const smv__srv_config *cfg, smv__server **out);

/* Listens on ip ("127.0.0.1", "::1", "0.0.0.0") and port (0: a free one, see
 * smv__srv_listener_port). tls NULL: plain HTTP. listener_data is handed to the handler with each
 * request of this listener. *out (may be NULL) stays valid until smv__server_free.
 * Returns 0, SMV_ERR_INVALID_ARG (bad address), SMV_ERR_IO (bind/listen failed: port taken),
 * SMV_ERR_TLS_CACERT (unusable certificate or key), SMV_ERR_NOMEM. */
int smv__server_listen(smv__server *srv, const char *ip, uint16_t port, const smv__srv_tls *tls,
                       void *listener_data, smv__srv_listener **out);

/* The port the listener is bound to (the picked one when 0 was asked). */
uint16_t smv__srv_listener_port(const smv__srv_listener *l);
/* The address it is bound to, as given. */
const char *smv__srv_listener_ip(const smv__srv_listener *l);
/* 1 when TLS. */
int smv__srv_listener_is_tls(const smv__srv_listener *l);

/* Graceful drain: stop accepting now (listeners closed), close idle keep-alive connections, let every
 * request in flight get its response (which then carries "Connection: close"), then close. After
 * timeout_ms (0: 5000) connections still open are closed and their pending responses aborted.
 * done (may be NULL) is called once, from the loop, when every handle of the server is closed;
 * then smv__server_free may be called. Calling drain twice is harmless (the first done wins). */
void smv__server_drain(smv__server *srv, uint64_t timeout_ms,
                       void (*done)(smv__server *srv, void *data), void *data);

/* Frees the server. Only before uv_run ever ran for it with listeners open, or after drain's done. */
void smv__server_free(smv__server *srv);

void smv__server_stats(const smv__server *srv, smv__srv_stats *out);
/* TLS tickets and session IDs issued so far stop resuming (tests). */
int smv__server_forget_sessions(smv__server *srv);
uv_loop_t *smv__server_loop(const smv__server *srv);

/* ---- Requests ---- */

/* The first header of that name (case-insensitive), or NULL. */
const char *smv__srv_request_header(const smv__srv_request *req, const char *name);

/* ---- Responses ----
 * Build with set_status / add_header / set_body, then send. The server adds Content-Length, Date,
 * Server (if configured) and Connection; handlers must not add those (SMV_ERR_INVALID_ARG).
 * Header names and values are checked (no CR, LF, NUL; name a token). All setters copy. */

/* The request this response answers (valid until the response is sent or aborted). */
const smv__srv_request *smv__srv_response_request(const smv__srv_response *res);
int smv__srv_response_set_status(smv__srv_response *res, int status, const char *reason /* NULL:
                                 standard reason */);
int smv__srv_response_add_header(smv__srv_response *res, const char *name, const char *value);
int smv__srv_response_set_body(smv__srv_response *res, const void *body, size_t len);
/* Asks for the connection to be closed after this response. */
void smv__srv_response_close(smv__srv_response *res);
/* Serialises and writes the response in one write; res is invalid after the call (whatever the
 * result). Returns 0, or SMV_ERR_NOMEM (the connection is then closed). */
int smv__srv_response_send(smv__srv_response *res);
/* Shortcut: status, Content-Type (NULL: none) and body, then send. */
int smv__srv_respond(smv__srv_response *res, int status, const char *content_type,
                     const void *body, size_t len);
/* Test servers: write these exact bytes as the response (nothing added; no framing checked), then
 * close the connection if close_after, else keep reading requests. res is invalid after the call. */
int smv__srv_response_send_raw(smv__srv_response *res, const void *bytes, size_t len, int close_after);

/* Called at most once if the connection goes away (peer closed, timeout, drain deadline) before the
 * response was sent: the handler cancels its timers there. res and the request are freed right after
 * cb returns; never call send on it afterwards. A response never answered and never aborted is freed
 * by the server when its connection closes. */
void smv__srv_response_on_abort(smv__srv_response *res,
                                void (*cb)(smv__srv_response *res, void *data), void *data);

#endif
