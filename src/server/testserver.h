/* The project's scripted test server: an HTTPS and a plain-HTTP listener on loopback serving a route
 * table (JSON), with its own CA and server certificate, logging every request it receives.
 *
 * Why it exists: the integration tests of the device client need redirect chains that cross
 * listeners (https -> http on another port -> https), misbehaving servers (loops, too many hops, bad
 * schemes, stalls, bad certificates) and a record of exactly what the client sent.
 *
 * Route table (--script FILE):
 *   {"routes": {"/path": ROUTE, ...}, "default": ROUTE}
 * A request is matched on its whole target first ("/a?x=1"), then on its path ("/a"); no match gives
 * "default" (or a 404). ROUTE is an object:
 *   "status": 302                       (default 200)
 *   "headers": {"Location": "{http}/b"} or [["Set-Cookie","a=1"],["Set-Cookie","b=2"]] (duplicates)
 *   "body": "text"   or   "json": {...} (serialised, with Content-Type: application/json)
 *   "delay_ms": 500                     answer after this long
 *   "stall": true                       read the request and never answer
 *   "close": true                       close the connection after the response
 *   "raw": "HTTP/1.1 200 OK\r\n..."     these exact bytes instead of a built response
 *   "only": "https" | "http"            served on that listener only (404 on the other)
 * In header values, bodies and raw bytes these placeholders are replaced: {https} and {http} (the
 * listeners' base URLs, "https://127.0.0.1:P"), {https_authority} and {http_authority}
 * ("127.0.0.1:P"), {self} (the base URL of the listener that got the request).
 *
 * Without --script the built-in table is served: every scenario under its own path (see
 * smv__testserver_scenario_start); --scenario NAME also makes "/start" an alias of that entry.
 *
 * Request log (--log FILE): one JSON object a line, flushed per request:
 *   {"listener":"https","tls":"tls1.3","tls_resumed":false,"conn":1,"conn_request":1,
 *    "peer":"127.0.0.1:40000","method":"GET","target":"/x","headers":[["Host","..."],...],"body":""}
 */
#ifndef SMV_SERVER_TESTSERVER_H
#define SMV_SERVER_TESTSERVER_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct smv__testserver smv__testserver;

typedef enum smv__testserver_cert {
  SMV__TS_CERT_GOOD = 0,      /* valid now, SANs 127.0.0.1, ::1, localhost */
  SMV__TS_CERT_EXPIRED,       /* same names, validity ended in the past */
  SMV__TS_CERT_WRONG_HOST     /* valid now, for another name only (wrong.example) */
} smv__testserver_cert;

typedef struct smv__testserver_opts {
  const char *script_path;    /* route table file; NULL: the built-in table */
  const char *scenario;       /* built-in scenario aliased at /start; NULL: none */
  const char *log_path;       /* request log; NULL: none */
  const char *dir;            /* where ca.pem, server.pem and server.key are written; NULL: a new
                                 directory under $TMPDIR (removed by smv__testserver_free) */
  smv__testserver_cert cert;
  const char *bind_ip;        /* NULL: "127.0.0.1" */
  unsigned https_port;        /* 0: a free one */
  unsigned http_port;         /* 0: a free one */
  uint64_t request_timeout_ms;/* per request, TLS handshake included; 0: 30000 (soaks under valgrind
                                 need far more) */
} smv__testserver_opts;

/* Starts both listeners on loop. On failure returns a negative SMV_ERR_* and writes a message to
 * err (errlen bytes). */
int smv__testserver_start(uv_loop_t *loop, const smv__testserver_opts *opts, smv__testserver **out,
                          char *err, size_t errlen);

/* The ready line (without newline):
 * {"https":"https://127.0.0.1:P","http":"http://127.0.0.1:Q","ca":"PATH","start":"https://...."} */
const char *smv__testserver_ready_json(const smv__testserver *ts);

/* Stops accepting, finishes what is in flight (stalled requests are dropped), then calls done. */
void smv__testserver_stop(smv__testserver *ts, void (*done)(void *data), void *data);
/* After stop's done (or if the loop never ran). */
void smv__testserver_free(smv__testserver *ts);
/* Connections accepted and requests answered so far (tests: what reached the server). */
uint64_t smv__testserver_connections(const smv__testserver *ts);
uint64_t smv__testserver_requests(const smv__testserver *ts);
/* TLS sessions issued so far stop resuming: a client's next offer is refused. */
int smv__testserver_forget_sessions(smv__testserver *ts);

/* The built-in scenario names, NULL-terminated, and the path where each starts (NULL: unknown). */
const char *const *smv__testserver_scenarios(void);
const char *smv__testserver_scenario_start(const char *name);

#endif
