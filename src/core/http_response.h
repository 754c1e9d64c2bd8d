/* The client's HTTP/1.1 response reader: bytes in, events out, one response per reader.
 *
 * Interim (1xx) responses are skipped (at most limits.max_1xx of them), 101 is refused (we never ask
 * to switch protocols), the method decides whether a body can follow (HEAD), and every framing
 * check of http_framing.h applies. The reader stops after the final response: bytes after it stay
 * with the caller (consumed says how many were used). */
#ifndef SMV_CORE_HTTP_RESPONSE_H
#define SMV_CORE_HTTP_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

#include "core/http_framing.h"

/* Every callback is optional and returns 0, or an SMV_ERR_* that aborts the reader with that error.
 * Strings are valid during the call only and are not NUL-terminated. */
typedef struct smv__http_response_cbs {
  int (*on_interim)(void *user_data, int status);           /* a skipped 1xx */
  int (*on_status)(void *user_data, int status);            /* the final status line */
  /* Each header of the final response, in order, duplicates included (Location, Set-Cookie). The
   * value has its surrounding whitespace removed. */
  int (*on_header)(void *user_data, const char *name, size_t name_len, const char *value,
                   size_t value_len);
  int (*on_headers_done)(void *user_data);                  /* the head is complete */
  int (*on_body)(void *user_data, const char *data, size_t len);  /* decoded body bytes */
  /* The final response is complete; keep_alive: the connection can carry another request. */
  int (*on_complete)(void *user_data, int keep_alive);
} smv__http_response_cbs;

typedef struct smv__http_response {
  smv__http_msg msg;
  const smv__http_response_cbs *cbs;
  void *user_data;
  int head_request;
  int status;             /* the final status, 0 until its status line is read */
  int http_minor;
  unsigned interims;
  int in_interim;
  int keep_alive;
} smv__http_response;

/* method: the request's method ("HEAD" means no body); NULL is GET. limits: NULL for the defaults.
 * scratch holds one header line while it is reassembled; a header that does not fit is
 * SMV_ERR_HTTP_HEADER_TOO_LARGE (give it limits.max_header_bytes to make that the only limit). */
void smv__http_response_init(smv__http_response *r, const smv__http_limits *limits,
                             const char *method, char *scratch, size_t scratch_size,
                             const smv__http_response_cbs *cbs, void *user_data);
/* Returns 0 or an SMV_ERR_HTTP_* (sticky: later calls return it again). *consumed is the number of
 * bytes used, less than len when the response ended inside data. */
int smv__http_response_feed(smv__http_response *r, const char *data, size_t len,
                            size_t *consumed);
/* The connection was closed by the peer: 0 when that completes a close-delimited body (or the
 * response was already complete), SMV_ERR_HTTP_EOF otherwise. */
int smv__http_response_eof(smv__http_response *r);
/* 1 once the final response is complete. */
int smv__http_response_done(const smv__http_response *r);
/* Bytes received for this response so far: 0 when a reused connection was closed before answering
 * (the caller may retry the request on a new connection). */
uint64_t smv__http_response_bytes_seen(const smv__http_response *r);
/* The framing of the final response, known once on_headers_done ran. */
smv__http_body_mode smv__http_response_body_mode(const smv__http_response *r);

#endif
