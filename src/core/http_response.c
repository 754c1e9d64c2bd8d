/* The response side of the framing engine: status handling, 1xx skipping, HEAD/204/304, the
 * keep-alive decision handed to the caller. */
#include "core/http_response.h"

#include <string.h>

#include "smv.h"

static int resp_start_line(smv__http_msg *m) {
  smv__http_response *r = m->owner;
  int status = (int)m->parser.status_code;
  if (status < 100 || status > 599) return SMV_ERR_HTTP_MALFORMED;
  /* We never ask to switch protocols, so a 101 cannot be a sane answer to our request. */
  if (status == 101) return SMV_ERR_HTTP_MALFORMED;
  if (status < 200) {
    unsigned max = m->limits.max_1xx ? m->limits.max_1xx : SMV__HTTP_MAX_1XX_DEFAULT;
    if (++r->interims > max) return SMV_ERR_HTTP_TOO_MANY_1XX;
    r->in_interim = 1;
    return 0;
  }
  r->in_interim = 0;
  r->status = status;
  r->http_minor = (int)m->parser.http_minor;
  return r->cbs && r->cbs->on_status ? r->cbs->on_status(r->user_data, status) : 0;
}

static int resp_header(smv__http_msg *m, const char *name, size_t nlen, const char *value,
                       size_t vlen) {
  smv__http_response *r = m->owner;
  if (r->in_interim || !r->cbs || !r->cbs->on_header) return 0;
  return r->cbs->on_header(r->user_data, name, nlen, value, vlen);
}

static int resp_head_done(smv__http_msg *m, int *skip_body) {
  smv__http_response *r = m->owner;
  int status = (int)m->parser.status_code;
  /* http-parser 2.9.4 would read a body announced by a 304 or a 204: RFC 9110 says they have none. */
  *skip_body = r->in_interim || r->head_request || status == 204 || status == 304;
  if (r->in_interim) return 0;
  return r->cbs && r->cbs->on_headers_done ? r->cbs->on_headers_done(r->user_data) : 0;
}

static int resp_body(smv__http_msg *m, const char *data, size_t len) {
  smv__http_response *r = m->owner;
  return r->cbs && r->cbs->on_body ? r->cbs->on_body(r->user_data, data, len) : 0;
}

static int resp_complete(smv__http_msg *m, int *another_head) {
  smv__http_response *r = m->owner;
  if (r->in_interim) {
    *another_head = 1;
    r->in_interim = 0;
    return r->cbs && r->cbs->on_interim ? r->cbs->on_interim(r->user_data,
                                                             (int)m->parser.status_code)
                                        : 0;
  }
  r->keep_alive = m->keep_alive;
  return r->cbs && r->cbs->on_complete ? r->cbs->on_complete(r->user_data, m->keep_alive) : 0;
}

static const smv__http_msg_ops response_ops = {
  resp_start_line, resp_header, resp_head_done, resp_body, resp_complete,
};

void smv__http_response_init(smv__http_response *r, const smv__http_limits *limits,
                             const char *method, char *scratch, size_t scratch_size,
                             const smv__http_response_cbs *cbs, void *user_data) {
  memset(r, 0, sizeof(*r));
  smv__http_msg_init(&r->msg, 0, limits, scratch, scratch_size, &response_ops, r);
  r->cbs = cbs;
  r->user_data = user_data;
  r->head_request = method && strcmp(method, "HEAD") == 0;
}

int smv__http_response_feed(smv__http_response *r, const char *data, size_t len,
                            size_t *consumed) {
  return smv__http_msg_feed(&r->msg, data, len, consumed);
}

int smv__http_response_eof(smv__http_response *r) {
  return smv__http_msg_eof(&r->msg);
}

int smv__http_response_done(const smv__http_response *r) {
  return smv__http_msg_done(&r->msg);
}

uint64_t smv__http_response_bytes_seen(const smv__http_response *r) {
  return r->msg.consumed_total;
}

smv__http_body_mode smv__http_response_body_mode(const smv__http_response *r) {
  return (smv__http_body_mode)r->msg.body_mode;
}
