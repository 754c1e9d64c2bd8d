/* The request writer (client) and the request side of the framing engine (servers). */
#include "core/http_request.h"

#include <string.h>

#include "smv.h"

/* ---- writer ------------------------------------------------------------------------------------- */

typedef struct outbuf {
  char *p;
  size_t cap;
  size_t len;
  int overflow;
} outbuf;

static void put(outbuf *o, const char *s, size_t n) {
  if (o->overflow || n > o->cap - o->len) {
    o->overflow = 1;
    return;
  }
  memcpy(o->p + o->len, s, n);
  o->len += n;
}

static void puts_(outbuf *o, const char *s) {
  put(o, s, strlen(s));
}

/* A header value we interpolate: no byte that could end the line or hide from a parser. */
static int value_ok(const char *s) {
  for (; *s; s++)
    if (!smv__http_value_char_ok((unsigned char)*s)) return 0;
  return 1;
}

/* Method, target and host also sit in the request line or must not contain spaces. */
static int visible_ok(const char *s) {
  if (!*s) return 0;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c <= 0x20 || c == 0x7f) return 0;
  }
  return 1;
}

static int token_ok(const char *s) {
  if (!*s) return 0;
  for (; *s; s++)
    if (!smv__http_tchar((unsigned char)*s)) return 0;
  return 1;
}

long smv__http_request_write(const smv__http_request_spec *spec, char *buf, size_t cap) {
  if (!spec || !buf || !spec->target || !spec->host) return SMV_ERR_INVALID_ARG;
  const char *method = spec->method ? spec->method : "GET";
  const char *ctype = spec->content_type ? spec->content_type : "application/json";
  int has_body = spec->body != NULL;
  if (!token_ok(method) || !visible_ok(spec->target) || !visible_ok(spec->host))
    return SMV_ERR_INVALID_ARG;
  if (spec->cookie && !value_ok(spec->cookie)) return SMV_ERR_INVALID_ARG;
  if (has_body && !value_ok(ctype)) return SMV_ERR_INVALID_ARG;
  /* A body needs framing; so do the methods that servers expect one with, even when empty. */
  int send_length = has_body || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
                    strcmp(method, "PATCH") == 0;

  outbuf o = {buf, cap, 0, 0};
  puts_(&o, method);
  puts_(&o, " ");
  puts_(&o, spec->target);
  puts_(&o, " HTTP/1.1\r\nHost: ");
  puts_(&o, spec->host);
  puts_(&o, "\r\nUser-Agent: " SMV__USER_AGENT "\r\nAccept: */*\r\nConnection: keep-alive\r\n");
  if (spec->cookie && spec->cookie[0]) {
    puts_(&o, "Cookie: ");
    puts_(&o, spec->cookie);
    puts_(&o, "\r\n");
  }
  if (has_body) {
    puts_(&o, "Content-Type: ");
    puts_(&o, ctype);
    puts_(&o, "\r\n");
  }
  if (send_length) {
    char num[24];
    size_t n = has_body ? spec->body_len : 0, i = sizeof(num);
    do {
      num[--i] = (char)('0' + n % 10);
      n /= 10;
    } while (n);
    puts_(&o, "Content-Length: ");
    put(&o, num + i, sizeof(num) - i);
    puts_(&o, "\r\n");
  }
  puts_(&o, "\r\n");
  if (has_body) put(&o, spec->body, spec->body_len);
  if (o.overflow || o.len > (size_t)0x7fffffff) return SMV_ERR_NOMEM;
  return (long)o.len;
}

/* ---- reader ------------------------------------------------------------------------------------- */

static int req_start_line(smv__http_msg *m) {
  smv__http_request_reader *q = m->owner;
  const http_parser *p = &m->parser;
  /* A tunnel is not something the sandbox offers. */
  if (p->method == HTTP_CONNECT) return SMV_ERR_HTTP_MALFORMED;
  if (!q->cbs || !q->cbs->on_request_line) return 0;
  return q->cbs->on_request_line(q->user_data, http_method_str((enum http_method)p->method),
                                 m->buf, m->target_len, (int)p->http_minor);
}

static int req_header(smv__http_msg *m, const char *name, size_t nlen, const char *value,
                      size_t vlen) {
  smv__http_request_reader *q = m->owner;
  return q->cbs && q->cbs->on_header ? q->cbs->on_header(q->user_data, name, nlen, value, vlen)
                                     : 0;
}

static int req_head_done(smv__http_msg *m, int *skip_body) {
  smv__http_request_reader *q = m->owner;
  *skip_body = 0;
  /* An upgrade would hand the connection to another protocol: refused, like llhttp's pause. */
  if (m->conn_upgrade && m->upgrade_seen) return SMV_ERR_HTTP_MALFORMED;
  return q->cbs && q->cbs->on_headers_done ? q->cbs->on_headers_done(q->user_data) : 0;
}

static int req_body(smv__http_msg *m, const char *data, size_t len) {
  smv__http_request_reader *q = m->owner;
  return q->cbs && q->cbs->on_body ? q->cbs->on_body(q->user_data, data, len) : 0;
}

static int req_complete(smv__http_msg *m, int *another_head) {
  smv__http_request_reader *q = m->owner;
  *another_head = 0;
  q->keep_alive = m->keep_alive;
  return q->cbs && q->cbs->on_complete ? q->cbs->on_complete(q->user_data, m->keep_alive) : 0;
}

static const smv__http_msg_ops request_ops = {
  req_start_line, req_header, req_head_done, req_body, req_complete,
};

void smv__http_request_reader_init(smv__http_request_reader *q, const smv__http_limits *limits,
                                   char *scratch, size_t scratch_size,
                                   const smv__http_request_cbs *cbs, void *user_data) {
  memset(q, 0, sizeof(*q));
  smv__http_msg_init(&q->msg, 1, limits, scratch, scratch_size, &request_ops, q);
  q->cbs = cbs;
  q->user_data = user_data;
}

int smv__http_request_reader_feed(smv__http_request_reader *q, const char *data, size_t len,
                                  size_t *consumed) {
  return smv__http_msg_feed(&q->msg, data, len, consumed);
}

int smv__http_request_reader_eof(smv__http_request_reader *q) {
  return smv__http_msg_eof(&q->msg);
}

int smv__http_request_reader_done(const smv__http_request_reader *q) {
  return smv__http_msg_done(&q->msg);
}
