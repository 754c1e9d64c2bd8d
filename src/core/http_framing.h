/* HTTP/1.1 message framing shared by the response reader (client) and the request reader (sandbox).
 *
 * http-parser 2.9.4 is archived and lenient in places (it accepts "HTTP/01.1", chunk extensions
 * without a name, several Transfer-Encoding headers, obs-fold, ...), so this layer runs a strict
 * shadow scanner over the same bytes and hands http-parser only what the scanner accepted. The
 * scanner stops at every line end of the head so that a header is checked (and reported) as soon as
 * its line is complete, before http-parser can look at the next one. Errors are positional: the
 * first offending byte decides, so the result does not depend on how the input is split.
 *
 * No allocation: the caller gives the scratch buffer that holds the request target and the header
 * being accumulated (a header split across feeds must be reassembled somewhere). */
#ifndef SMV_CORE_HTTP_FRAMING_H
#define SMV_CORE_HTTP_FRAMING_H

#include <stddef.h>
#include <stdint.h>

#include <http_parser.h>

#define SMV__HTTP_MAX_HEADER_BYTES_DEFAULT ((size_t)16 * 1024)
#define SMV__HTTP_MAX_BODY_BYTES_DEFAULT ((size_t)64 * 1024)
#define SMV__HTTP_MAX_1XX_DEFAULT 5u
#define SMV__HTTP_MAX_HEADERS_DEFAULT 100u

/* Zero fields take the defaults above. */
typedef struct smv__http_limits {
  size_t max_header_bytes;  /* the whole head: leading empty lines, start line, headers, final CRLF;
                               also the trailers of a chunked body */
  size_t max_body_bytes;    /* decoded body bytes */
  unsigned max_1xx;         /* interim responses skipped before the final one */
  unsigned max_headers;     /* header lines in one head */
} smv__http_limits;

typedef enum smv__http_body_mode {
  SMV__HTTP_BODY_NONE = 0,  /* no body (length 0, HEAD, 1xx, 204, 304) */
  SMV__HTTP_BODY_LENGTH,    /* Content-Length */
  SMV__HTTP_BODY_CHUNKED,   /* Transfer-Encoding: chunked */
  SMV__HTTP_BODY_EOF        /* a response delimited by the connection's close */
} smv__http_body_mode;

typedef struct smv__http_msg smv__http_msg;

/* What a direction (request or response) adds to the engine. Each returns 0 or an SMV_ERR_*. */
typedef struct smv__http_msg_ops {
  int (*start_line)(smv__http_msg *m);  /* the start line is complete and valid */
  int (*header)(smv__http_msg *m, const char *name, size_t name_len, const char *value,
                size_t value_len);
  int (*head_done)(smv__http_msg *m, int *skip_body);
  int (*body)(smv__http_msg *m, const char *data, size_t len);
  int (*complete)(smv__http_msg *m, int *another_head);  /* another_head: it was an interim */
} smv__http_msg_ops;

struct smv__http_msg {
  http_parser parser;
  const smv__http_msg_ops *ops;
  void *owner;
  smv__http_limits limits;
  char *buf;
  size_t buf_size;
  size_t target_len;        /* request target at buf[0, target_len) */
  size_t name_len;          /* current header name follows the target, its value follows the name */
  size_t value_len;
  size_t head_bytes;
  size_t trailer_bytes;
  uint64_t body_bytes;
  uint64_t content_length;
  uint64_t chunk_left;
  uint64_t chunk_total;     /* declared chunk sizes so far, checked against the body limit */
  unsigned headers;
  unsigned heads;           /* heads http-parser has completed, to cross-check the scanner */
  unsigned char is_request;
  unsigned char phase;
  unsigned char line_state;
  unsigned char start_sub;
  unsigned char start_pos;
  unsigned char chunk_state;
  unsigned char body_mode;
  unsigned char keep_alive;
  unsigned char cl_seen, te_seen, conn_close, conn_keep_alive, conn_upgrade, upgrade_seen;
  unsigned char cl_match;   /* how much of the header name matched "content-length" (255: not) */
  unsigned char in_cl_value, tab_in_cl;
  unsigned char value_started; /* a non-OWS byte of the current value was seen */
  size_t scan_target, scan_line; /* what http-parser will hand to the scratch callbacks so far */
  int cb_err;               /* the error a callback returned to http-parser */
  int err;                  /* sticky once failed */
  uint64_t consumed_total;
};

/* The engine. smv__http_response / smv__http_request_reader wrap it; use those. */
void smv__http_msg_init(smv__http_msg *m, int is_request, const smv__http_limits *limits,
                        char *scratch, size_t scratch_size, const smv__http_msg_ops *ops,
                        void *owner);
int smv__http_msg_feed(smv__http_msg *m, const char *data, size_t len, size_t *consumed);
int smv__http_msg_eof(smv__http_msg *m);
int smv__http_msg_done(const smv__http_msg *m);

/* Helpers the directions and their users share. */
/* Case-insensitive comparison of a header name with a lower-case literal. */
int smv__http_name_is(const char *name, size_t len, const char *lower);
/* Whether a comma-separated header value lists token (case-insensitive). */
int smv__http_list_has(const char *value, size_t len, const char *lower);
/* A byte that may appear in a header value, a cookie, a target we write: not CR, LF, NUL or another
 * control character (HTAB is allowed). */
int smv__http_value_char_ok(unsigned char c);
int smv__http_tchar(unsigned char c);

#endif
