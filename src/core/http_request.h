/* HTTP/1.1 requests: the client's request writer, and the request reader of the sandbox and the test
 * servers (same framing engine and checks as the client's response reader).
 *
 * The reader handles one request and stops: with pipelining, the bytes after it stay with the
 * caller (consumed says how many were used), who starts a new reader for them. Protocol upgrades
 * and CONNECT are refused. */
#ifndef SMV_CORE_HTTP_REQUEST_H
#define SMV_CORE_HTTP_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "core/http_framing.h"

/* What smv says it is: the product and its one version (RFC 9110 10.1.5). */
#include "smv.h"
#define SMV__USER_AGENT "smv/" SMV_VERSION_STRING

/* ---- writer ------------------------------------------------------------------------------------- */

typedef struct smv__http_request_spec {
  const char *method;        /* NULL: GET */
  const char *target;        /* origin-form: "/path?query" (required) */
  const char *host;          /* the Host value, with ":port" when not the scheme's default */
  const char *cookie;        /* the Cookie value, or NULL */
  const char *content_type;  /* NULL: application/json when a body is given */
  const char *body;          /* NULL: no body */
  size_t body_len;
} smv__http_request_spec;

/* Writes the request into buf. Returns its length, SMV_ERR_INVALID_ARG when a field is missing or
 * would inject (CR, LF, NUL or another control byte; a space in the method, target or host), or
 * SMV_ERR_NOMEM when buf is too small. Nothing useful is left in buf on error. */
long smv__http_request_write(const smv__http_request_spec *spec, char *buf, size_t cap);

/* ---- reader ------------------------------------------------------------------------------------- */

/* Every callback is optional and returns 0 or an SMV_ERR_* that aborts the reader. Strings are valid
 * during the call only and not NUL-terminated (method is). */
typedef struct smv__http_request_cbs {
  int (*on_request_line)(void *user_data, const char *method, const char *target,
                         size_t target_len, int http_minor);
  int (*on_header)(void *user_data, const char *name, size_t name_len, const char *value,
                   size_t value_len);
  int (*on_headers_done)(void *user_data);
  int (*on_body)(void *user_data, const char *data, size_t len);
  /* keep_alive: another request may follow on this connection. */
  int (*on_complete)(void *user_data, int keep_alive);
} smv__http_request_cbs;

typedef struct smv__http_request_reader {
  smv__http_msg msg;
  const smv__http_request_cbs *cbs;
  void *user_data;
  int keep_alive;
} smv__http_request_reader;

/* scratch holds the target and one header line at a time; limits: NULL for the defaults. */
void smv__http_request_reader_init(smv__http_request_reader *q, const smv__http_limits *limits,
                                   char *scratch, size_t scratch_size,
                                   const smv__http_request_cbs *cbs, void *user_data);
int smv__http_request_reader_feed(smv__http_request_reader *q, const char *data, size_t len,
                                  size_t *consumed);
/* The peer closed: 0 if the request was complete, SMV_ERR_HTTP_EOF otherwise. */
int smv__http_request_reader_eof(smv__http_request_reader *q);
int smv__http_request_reader_done(const smv__http_request_reader *q);

#endif
