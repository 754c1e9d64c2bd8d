/* The framing engine behind both HTTP readers: a strict shadow scanner over the raw bytes, our own
 * Content-Length / Transfer-Encoding / Connection rules, and http-parser fed only what the scanner
 * accepted. See http_framing.h for why it is built this way. */
#include "core/http_framing.h"

#include <string.h>

#include "smv.h"

enum { PH_HEAD, PH_BODY, PH_DONE, PH_FAILED };

/* Line scanner states (the head, and the trailers of a chunked body). */
enum {
  L_PRE,        /* before the start line: empty lines are skipped */
  L_PRE_LF,
  L_START,      /* inside the start line */
  L_START_LF,
  L_BOL,        /* at the beginning of a header line */
  L_NAME,
  L_VALUE,
  L_VALUE_LF,
  L_END_LF      /* the empty line that ends the head */
};

/* What a scanned byte completed. */
enum { EV_NONE, EV_START_LINE, EV_HEADER_LINE, EV_HEAD_END, EV_MSG_END };

/* Chunked body states. */
enum {
  C_SIZE_FIRST, C_SIZE, C_EXT_NAME_FIRST, C_EXT_NAME, C_EXT_VAL_FIRST, C_EXT_TOKEN, C_EXT_QUOTED,
  C_EXT_QPAIR, C_EXT_QEND, C_SIZE_LF, C_DATA, C_DATA_CR, C_DATA_LF, C_TRAILER
};

/* Request line sub-states. */
enum { R_METHOD_FIRST, R_METHOD, R_TARGET_FIRST, R_TARGET, R_VERSION, R_END };

int smv__http_tchar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return 1;
  return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

int smv__http_value_char_ok(unsigned char c) {
  return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static unsigned char lower(unsigned char c) {
  return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

int smv__http_name_is(const char *name, size_t len, const char *lit) {
  size_t n = strlen(lit);
  if (n != len) return 0;
  for (size_t i = 0; i < n; i++)
    if (lower((unsigned char)name[i]) != (unsigned char)lit[i]) return 0;
  return 1;
}

static int is_ows(char c) {
  return c == ' ' || c == '\t';
}

static void trim_ows(const char **p, size_t *len) {
  while (*len > 0 && is_ows((*p)[0])) {
    (*p)++;
    (*len)--;
  }
  while (*len > 0 && is_ows((*p)[*len - 1])) (*len)--;
}

int smv__http_list_has(const char *value, size_t len, const char *lit) {
  size_t i = 0;
  while (i <= len) {
    size_t j = i;
    while (j < len && value[j] != ',') j++;
    const char *item = value + i;
    size_t n = j - i;
    trim_ows(&item, &n);
    if (smv__http_name_is(item, n, lit)) return 1;
    i = j + 1;
  }
  return 0;
}

static size_t lim_or(size_t v, size_t def) {
  return v ? v : def;
}

static void reset_head(smv__http_msg *m) {
  m->phase = PH_HEAD;
  m->line_state = L_PRE;
  m->start_sub = 0;
  m->start_pos = 0;
  m->name_len = 0;
  m->value_len = 0;
  m->target_len = 0;
  m->head_bytes = 0;
  m->trailer_bytes = 0;
  m->headers = 0;
  m->body_bytes = 0;
  m->content_length = 0;
  m->chunk_left = 0;
  m->chunk_total = 0;
  m->body_mode = SMV__HTTP_BODY_NONE;
  m->cl_seen = m->te_seen = m->conn_close = m->conn_keep_alive = 0;
  m->conn_upgrade = m->upgrade_seen = 0;
  m->scan_target = m->scan_line = 0;
}

/* ---- http-parser callbacks ---------------------------------------------------------------------- */

static int fail_cb(smv__http_msg *m, int err) {
  m->cb_err = err;
  return -1;
}

static int append(smv__http_msg *m, size_t *field, const char *at, size_t len) {
  size_t used = m->target_len + m->name_len + m->value_len;
  if (len > m->buf_size - used) return SMV_ERR_HTTP_HEADER_TOO_LARGE;
  memcpy(m->buf + used, at, len);
  *field += len;
  return 0;
}

static int cb_url(http_parser *p, const char *at, size_t len) {
  smv__http_msg *m = p->data;
  int rc = append(m, &m->target_len, at, len);
  return rc ? fail_cb(m, rc) : 0;
}

static int cb_header_field(http_parser *p, const char *at, size_t len) {
  smv__http_msg *m = p->data;
  if (m->phase != PH_HEAD) return 0;  /* trailers: checked by the scanner, otherwise ignored */
  int rc = append(m, &m->name_len, at, len);
  return rc ? fail_cb(m, rc) : 0;
}

static int cb_header_value(http_parser *p, const char *at, size_t len) {
  smv__http_msg *m = p->data;
  if (m->phase != PH_HEAD) return 0;
  int rc = append(m, &m->value_len, at, len);
  return rc ? fail_cb(m, rc) : 0;
}

static int cb_headers_complete(http_parser *p) {
  smv__http_msg *m = p->data;
  int skip = 0;
  m->heads++;
  /* Our scanner trims optional whitespace around "chunked"; http-parser 2.9.4 takes a tab after it
   * for another coding and would read to the end of the connection. Where the two disagree on the
   * framing, nothing is read (a fuzzer found bytes of a body passed through the tab repair). */
  if (m->te_seen && !(p->flags & F_CHUNKED)) return fail_cb(m, SMV_ERR_HTTP_TRANSFER_ENCODING);
  if (m->te_seen)
    m->body_mode = SMV__HTTP_BODY_CHUNKED;
  else if (m->cl_seen)
    m->body_mode = m->content_length ? SMV__HTTP_BODY_LENGTH : SMV__HTTP_BODY_NONE;
  else
    m->body_mode = m->is_request ? SMV__HTTP_BODY_NONE : SMV__HTTP_BODY_EOF;
  int rc = m->ops->head_done(m, &skip);
  if (rc) return fail_cb(m, rc);
  if (skip) m->body_mode = SMV__HTTP_BODY_NONE;
  /* A declared length over the limit fails now rather than after reading it. */
  if (m->body_mode == SMV__HTTP_BODY_LENGTH &&
      m->content_length > lim_or(m->limits.max_body_bytes, SMV__HTTP_MAX_BODY_BYTES_DEFAULT))
    return fail_cb(m, SMV_ERR_HTTP_BODY_TOO_LARGE);
  m->chunk_state = C_SIZE_FIRST;
  m->phase = PH_BODY;
  return skip ? 1 : 0;
}

static int cb_body(http_parser *p, const char *at, size_t len) {
  smv__http_msg *m = p->data;
  uint64_t max = lim_or(m->limits.max_body_bytes, SMV__HTTP_MAX_BODY_BYTES_DEFAULT);
  int over = 0;
  if (len > max - m->body_bytes) {
    /* Deliver up to the limit so that the events do not depend on how the input was split. */
    len = (size_t)(max - m->body_bytes);
    over = 1;
  }
  m->body_bytes += len;
  if (len) {
    int rc = m->ops->body(m, at, len);
    if (rc) return fail_cb(m, rc);
  }
  return over ? fail_cb(m, SMV_ERR_HTTP_BODY_TOO_LARGE) : 0;
}

static int cb_message_complete(http_parser *p) {
  smv__http_msg *m = p->data;
  int another = 0;
  if (m->body_mode == SMV__HTTP_BODY_EOF)
    m->keep_alive = 0;
  else if (p->http_major == 1 && p->http_minor >= 1)
    m->keep_alive = !m->conn_close;
  else
    m->keep_alive = m->conn_keep_alive && !m->conn_close;
  int rc = m->ops->complete(m, &another);
  if (rc) return fail_cb(m, rc);
  if (another) {
    reset_head(m);
    return 0;
  }
  m->phase = PH_DONE;
  /* One message per reader: stop here so that pipelined bytes stay with the caller. */
  http_parser_pause(p, 1);
  return 0;
}

static const http_parser_settings settings = {
  .on_url = cb_url,
  .on_header_field = cb_header_field,
  .on_header_value = cb_header_value,
  .on_headers_complete = cb_headers_complete,
  .on_body = cb_body,
  .on_message_complete = cb_message_complete,
};

/* ---- the shadow scanner ------------------------------------------------------------------------- */

/* "HTTP/1.x SP 3DIGIT [SP reason]": only HTTP/1.0 and 1.1 are spoken here. */
static int status_line_byte(smv__http_msg *m, unsigned char c) {
  unsigned i = m->start_pos;
  if (m->start_pos < 255) m->start_pos++;
  if (i < 5) return c == (unsigned char)"HTTP/"[i];
  if (i == 5) return c == '1';
  if (i == 6) return c == '.';
  if (i == 7) return c == '0' || c == '1';
  if (i == 8) return c == ' ';
  if (i <= 11) return c >= '0' && c <= '9';
  if (i == 12) return c == ' ';
  return smv__http_value_char_ok(c);  /* the reason phrase; obs-text allowed */
}

/* "token SP target SP HTTP/1.x" */
static int request_line_byte(smv__http_msg *m, unsigned char c) {
  switch (m->start_sub) {
  case R_METHOD_FIRST:
    m->start_sub = R_METHOD;
    return smv__http_tchar(c);
  case R_METHOD:
    if (c == ' ') m->start_sub = R_TARGET_FIRST;
    return c == ' ' || smv__http_tchar(c);
  case R_TARGET_FIRST:
    m->start_sub = R_TARGET;
    return c > 0x20 && c < 0x7f;
  case R_TARGET:
    if (c == ' ') {
      m->start_sub = R_VERSION;
      m->start_pos = 0;
      return 1;
    }
    return c > 0x20 && c < 0x7f;
  case R_VERSION: {
    unsigned i = m->start_pos++;
    if (i < 7) return c == (unsigned char)"HTTP/1."[i];
    m->start_sub = R_END;
    return c == '0' || c == '1';
  }
  default:
    return 0;
  }
}

static int start_line_can_end(const smv__http_msg *m) {
  return m->is_request ? m->start_sub == R_END : m->start_pos >= 12;
}

/* One more byte for the scratch buffer (the request target, then the current header's name and
 * value). The limit is checked here, byte by byte, rather than when http-parser hands the bytes
 * over: it hands them over at the end of each piece it is given, so a check there would fail at a
 * point that depends on how the input was cut (and could lose to, or win over, a parser error on a
 * later byte). A byte refused here never reaches http-parser. */
static int keep_byte(smv__http_msg *m, size_t *count) {
  if (m->buf_size - m->scan_target - m->scan_line < 1) return SMV_ERR_HTTP_HEADER_TOO_LARGE;
  ++*count;
  return 0;
}

/* One byte of a head (trailer = 0) or of the trailers of a chunked body (trailer = 1). */
static int line_byte(smv__http_msg *m, unsigned char c, int trailer, int *ev) {
  size_t max = lim_or(m->limits.max_header_bytes, SMV__HTTP_MAX_HEADER_BYTES_DEFAULT);
  size_t *count = trailer ? &m->trailer_bytes : &m->head_bytes;
  if (++*count > max) return SMV_ERR_HTTP_HEADER_TOO_LARGE;
  *ev = EV_NONE;
  switch (m->line_state) {
  case L_PRE:
    if (c == '\r') {
      m->line_state = L_PRE_LF;
      return 0;
    }
    m->line_state = L_START;
    /* fall through */
  case L_START:
    if (c == '\r') {
      if (!start_line_can_end(m)) return SMV_ERR_HTTP_MALFORMED;
      m->line_state = L_START_LF;
      return 0;
    }
    if (m->is_request) {
      int target = m->start_sub == R_TARGET_FIRST || (m->start_sub == R_TARGET && c != ' ');
      if (!request_line_byte(m, c)) return SMV_ERR_HTTP_MALFORMED;
      return target ? keep_byte(m, &m->scan_target) : 0;
    }
    return status_line_byte(m, c) ? 0 : SMV_ERR_HTTP_MALFORMED;
  case L_PRE_LF:
    if (c != '\n') return SMV_ERR_HTTP_MALFORMED;
    m->line_state = L_PRE;
    return 0;
  case L_START_LF:
    if (c != '\n') return SMV_ERR_HTTP_MALFORMED;
    m->line_state = L_BOL;
    *ev = EV_START_LINE;
    return 0;
  case L_BOL:
    if (c == '\r') {
      m->line_state = L_END_LF;
      return 0;
    }
    /* A line that starts with whitespace continues the previous one (obs-fold), or smuggles a
     * header past a parser that would take it as one: refused either way. */
    if (c == ' ' || c == '\t') return SMV_ERR_HTTP_OBS_FOLD;
    if (!smv__http_tchar(c)) return SMV_ERR_HTTP_MALFORMED;
    if (!trailer) {
      unsigned maxh = m->limits.max_headers ? m->limits.max_headers : SMV__HTTP_MAX_HEADERS_DEFAULT;
      if (m->headers >= maxh) return SMV_ERR_HTTP_HEADER_TOO_LARGE;
    }
    m->line_state = L_NAME;
    m->cl_match = 0;
    m->scan_line = 0;
    /* fall through */
  case L_NAME:
    if (c == ':') {
      m->line_state = L_VALUE;
      m->in_cl_value = m->cl_match == 14;
      m->value_started = 0;
      return 0;
    }
    if (m->cl_match < 14 && lower(c) == (unsigned char)"content-length"[m->cl_match])
      m->cl_match++;
    else
      m->cl_match = 255;
    /* Whitespace before the colon is refused (RFC 9112 5.1), like any non-token byte. */
    if (!smv__http_tchar(c)) return SMV_ERR_HTTP_MALFORMED;
    return trailer ? 0 : keep_byte(m, &m->scan_line);
  case L_VALUE:
    if (c == '\r') {
      m->line_state = L_VALUE_LF;
      return 0;
    }
    if (!smv__http_value_char_ok(c)) return SMV_ERR_HTTP_HEADER_VALUE;
    /* Only in the head: the repair rewrites every byte of the piece it is given, and in a chunked
     * body that piece can hold chunk data before the trailers. A tab-padded Content-Length in the
     * trailers (which are ignored anyway) goes to http-parser as it is, and is refused. */
    if (c == '\t' && m->in_cl_value && !trailer) m->tab_in_cl = 1;
    /* http-parser leaves out the value's leading whitespace, and keeps the rest */
    if (!m->value_started && is_ows((char)c)) return 0;
    m->value_started = 1;
    return trailer ? 0 : keep_byte(m, &m->scan_line);
  case L_VALUE_LF:
    if (c != '\n') return SMV_ERR_HTTP_HEADER_VALUE;  /* a bare CR inside a value */
    m->line_state = L_BOL;
    *ev = EV_HEADER_LINE;
    return 0;
  case L_END_LF:
    if (c != '\n') return SMV_ERR_HTTP_MALFORMED;
    m->line_state = L_PRE;
    *ev = trailer ? EV_MSG_END : EV_HEAD_END;
    return 0;
  default:
    return SMV_ERR_INTERNAL;
  }
}

/* Scans the head up to the end of the next line. *used excludes an offending byte. */
static int scan_head(smv__http_msg *m, const char *data, size_t len, size_t *used, int *ev) {
  size_t i = 0;
  int rc = 0;
  *ev = EV_NONE;
  while (i < len) {
    rc = line_byte(m, (unsigned char)data[i], 0, ev);
    if (rc) break;
    i++;
    if (*ev != EV_NONE) break;
  }
  *used = i;
  return rc;
}

static int hexval(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* chunk = chunk-size *( ";" ext-name [ "=" ( token / quoted-string ) ] ) CRLF data CRLF, without
 * the whitespace RFC 9112 tolerates (llhttp refuses it too), then trailers. */
static int chunk_byte(smv__http_msg *m, unsigned char c) {
  int h;
  switch (m->chunk_state) {
  case C_SIZE_FIRST:
    if ((h = hexval(c)) < 0) return SMV_ERR_HTTP_CHUNK;
    m->chunk_left = (uint64_t)h;
    m->chunk_state = C_SIZE;
    return 0;
  case C_SIZE:
    if ((h = hexval(c)) >= 0) {
      if (m->chunk_left > (UINT64_MAX >> 4)) return SMV_ERR_HTTP_CHUNK;  /* overflow */
      m->chunk_left = (m->chunk_left << 4) | (uint64_t)h;
      return 0;
    }
    if (c == ';') m->chunk_state = C_EXT_NAME_FIRST;
    else if (c == '\r') m->chunk_state = C_SIZE_LF;
    else return SMV_ERR_HTTP_CHUNK;
    return 0;
  case C_EXT_NAME_FIRST:
    if (!smv__http_tchar(c)) return SMV_ERR_HTTP_CHUNK;
    m->chunk_state = C_EXT_NAME;
    return 0;
  case C_EXT_NAME:
  case C_EXT_TOKEN:
    if (smv__http_tchar(c)) return 0;
    if (c == '=' && m->chunk_state == C_EXT_NAME) m->chunk_state = C_EXT_VAL_FIRST;
    else if (c == ';') m->chunk_state = C_EXT_NAME_FIRST;
    else if (c == '\r') m->chunk_state = C_SIZE_LF;
    else return SMV_ERR_HTTP_CHUNK;
    return 0;
  case C_EXT_VAL_FIRST:
    if (c == '"') m->chunk_state = C_EXT_QUOTED;
    else if (smv__http_tchar(c)) m->chunk_state = C_EXT_TOKEN;
    else return SMV_ERR_HTTP_CHUNK;
    return 0;
  case C_EXT_QUOTED:
    if (c == '"') m->chunk_state = C_EXT_QEND;
    else if (c == '\\') m->chunk_state = C_EXT_QPAIR;
    else if (!smv__http_value_char_ok(c)) return SMV_ERR_HTTP_CHUNK;
    return 0;
  case C_EXT_QPAIR:
    if (!smv__http_value_char_ok(c)) return SMV_ERR_HTTP_CHUNK;
    m->chunk_state = C_EXT_QUOTED;
    return 0;
  case C_EXT_QEND:
    if (c == ';') m->chunk_state = C_EXT_NAME_FIRST;
    else if (c == '\r') m->chunk_state = C_SIZE_LF;
    else return SMV_ERR_HTTP_CHUNK;
    return 0;
  case C_SIZE_LF:
    if (c != '\n') return SMV_ERR_HTTP_CHUNK;
    /* A chunk that cannot fit fails now rather than after reading it. */
    if (m->chunk_left > lim_or(m->limits.max_body_bytes, SMV__HTTP_MAX_BODY_BYTES_DEFAULT) -
                            m->chunk_total)
      return SMV_ERR_HTTP_BODY_TOO_LARGE;
    m->chunk_total += m->chunk_left;
    if (m->chunk_left == 0) {
      m->chunk_state = C_TRAILER;
      m->line_state = L_BOL;
    } else {
      m->chunk_state = C_DATA;
    }
    return 0;
  case C_DATA_CR:
    if (c != '\r') return SMV_ERR_HTTP_CHUNK;
    m->chunk_state = C_DATA_LF;
    return 0;
  case C_DATA_LF:
    if (c != '\n') return SMV_ERR_HTTP_CHUNK;
    m->chunk_state = C_SIZE_FIRST;
    return 0;
  default:
    return SMV_ERR_INTERNAL;
  }
}

static int scan_chunked(smv__http_msg *m, const char *data, size_t len, size_t *used, int *ev) {
  size_t i = 0;
  int rc = 0;
  *ev = EV_NONE;
  while (i < len) {
    if (m->chunk_state == C_DATA) {
      uint64_t k = len - i;
      if (k > m->chunk_left) k = m->chunk_left;
      i += (size_t)k;
      m->chunk_left -= k;
      if (m->chunk_left == 0) m->chunk_state = C_DATA_CR;
      continue;
    }
    if (m->chunk_state == C_TRAILER) {
      rc = line_byte(m, (unsigned char)data[i], 1, ev);
      if (rc) break;
      i++;
      if (*ev == EV_MSG_END) break;
      *ev = EV_NONE;
      continue;
    }
    rc = chunk_byte(m, (unsigned char)data[i]);
    if (rc) break;
    i++;
  }
  *used = i;
  return rc;
}

/* ---- our framing rules on complete header lines ------------------------------------------------- */

static int framing_header(smv__http_msg *m, const char *name, size_t nlen, const char *v,
                          size_t vlen) {
  if (smv__http_name_is(name, nlen, "content-length")) {
    /* Any second Content-Length is refused, identical or not: RFC 9110 8.6 lets a recipient merge
     * identical ones, but a sender that repeats the field is already off the spec and two parsers
     * on the path may disagree about it (request smuggling); there is no need to be generous. */
    if (m->cl_seen) return SMV_ERR_HTTP_CONTENT_LENGTH;
    if (m->te_seen) return SMV_ERR_HTTP_TRANSFER_ENCODING;
    if (vlen == 0) return SMV_ERR_HTTP_CONTENT_LENGTH;
    uint64_t n = 0;
    for (size_t i = 0; i < vlen; i++) {
      unsigned char c = (unsigned char)v[i];
      if (c < '0' || c > '9') return SMV_ERR_HTTP_CONTENT_LENGTH;
      if (n > (UINT64_MAX - (uint64_t)(c - '0')) / 10) return SMV_ERR_HTTP_CONTENT_LENGTH;
      n = n * 10 + (uint64_t)(c - '0');
    }
    m->cl_seen = 1;
    m->content_length = n;
  } else if (smv__http_name_is(name, nlen, "transfer-encoding")) {
    /* Only a single "chunked" is accepted: other codings are never asked for, a list whose last
     * coding is not chunked would be close-delimited, and two headers invite disagreement. */
    if (m->te_seen || m->cl_seen) return SMV_ERR_HTTP_TRANSFER_ENCODING;
    if (!smv__http_name_is(v, vlen, "chunked")) return SMV_ERR_HTTP_TRANSFER_ENCODING;
    m->te_seen = 1;
  } else if (smv__http_name_is(name, nlen, "connection")) {
    if (smv__http_list_has(v, vlen, "close")) m->conn_close = 1;
    if (smv__http_list_has(v, vlen, "keep-alive")) m->conn_keep_alive = 1;
    if (smv__http_list_has(v, vlen, "upgrade")) m->conn_upgrade = 1;
  } else if (smv__http_name_is(name, nlen, "upgrade")) {
    m->upgrade_seen = 1;
  }
  return 0;
}

static int finish_header(smv__http_msg *m) {
  const char *name = m->buf + m->target_len;
  const char *value = name + m->name_len;
  size_t vlen = m->value_len;
  trim_ows(&value, &vlen);
  m->headers++;
  int rc = framing_header(m, name, m->name_len, value, vlen);
  if (!rc) rc = m->ops->header(m, name, m->name_len, value, vlen);
  m->name_len = 0;
  m->value_len = 0;
  return rc;
}

/* ---- driving ------------------------------------------------------------------------------------ */

void smv__http_msg_init(smv__http_msg *m, int is_request, const smv__http_limits *limits,
                        char *scratch, size_t scratch_size, const smv__http_msg_ops *ops,
                        void *owner) {
  memset(m, 0, sizeof(*m));
  http_parser_init(&m->parser, is_request ? HTTP_REQUEST : HTTP_RESPONSE);
  m->parser.data = m;
  m->is_request = (unsigned char)(is_request != 0);
  if (limits) m->limits = *limits;
  m->buf = scratch;
  m->buf_size = scratch ? scratch_size : 0;
  m->ops = ops;
  m->owner = owner;
  reset_head(m);
}

static int map_parser_error(const smv__http_msg *m, enum http_errno e) {
  switch (e) {
  case HPE_HEADER_OVERFLOW: return SMV_ERR_HTTP_HEADER_TOO_LARGE;
  case HPE_INVALID_EOF_STATE: return SMV_ERR_HTTP_EOF;
  case HPE_INVALID_TRANSFER_ENCODING: return SMV_ERR_HTTP_TRANSFER_ENCODING;
  case HPE_INVALID_CHUNK_SIZE: return SMV_ERR_HTTP_CHUNK;
  case HPE_INVALID_CONTENT_LENGTH:
  case HPE_UNEXPECTED_CONTENT_LENGTH:
    return m->phase == PH_BODY ? SMV_ERR_HTTP_CHUNK : SMV_ERR_HTTP_CONTENT_LENGTH;
  default:
    return (m->phase == PH_BODY && m->body_mode == SMV__HTTP_BODY_CHUNKED) ? SMV_ERR_HTTP_CHUNK
                                                                          : SMV_ERR_HTTP_MALFORMED;
  }
}

static int execute(smv__http_msg *m, const char *data, size_t len, size_t *got) {
  m->cb_err = 0;
  *got = http_parser_execute(&m->parser, &settings, data, len);
  enum http_errno e = HTTP_PARSER_ERRNO(&m->parser);
  if (e == HPE_OK) return *got == len ? 0 : SMV_ERR_HTTP_MALFORMED;  /* it stopped: an upgrade */
  if (e == HPE_PAUSED && m->phase == PH_DONE) return 0;
  if (m->cb_err) return m->cb_err;
  return map_parser_error(m, e);
}

/* http-parser 2.9.4 refuses a tab around the digits of Content-Length, where RFC 9110 (and llhttp)
 * allow optional whitespace: it gets those bytes with the tabs turned into spaces. */
static int execute_cl_tabs(smv__http_msg *m, const char *data, size_t len, size_t *got) {
  char tmp[64];
  size_t off = 0;
  *got = 0;
  while (off < len) {
    size_t n = len - off < sizeof tmp ? len - off : sizeof tmp, g;
    for (size_t i = 0; i < n; i++) tmp[i] = data[off + i] == '\t' ? ' ' : data[off + i];
    int rc = execute(m, tmp, n, &g);
    off += g;
    *got = off;
    if (rc || g != n) return rc;
  }
  return 0;
}

static int fail(smv__http_msg *m, int err) {
  m->phase = PH_FAILED;
  m->err = err;
  return err;
}

int smv__http_msg_feed(smv__http_msg *m, const char *data, size_t len, size_t *consumed) {
  size_t off = 0;
  int rc = 0;
  if (consumed) *consumed = 0;
  if (m->phase == PH_FAILED) return m->err;
  if (!m->buf || !m->ops) return fail(m, SMV_ERR_INVALID_ARG);
  while (off < len && m->phase != PH_DONE) {
    size_t n = len - off, got = 0;
    int ev = EV_NONE, serr = 0;
    int was_head = m->phase == PH_HEAD;
    unsigned heads = m->heads;
    if (m->phase == PH_HEAD)
      serr = scan_head(m, data + off, len - off, &n, &ev);
    else if (m->body_mode == SMV__HTTP_BODY_CHUNKED)
      serr = scan_chunked(m, data + off, len - off, &n, &ev);
    /* http-parser sees only what the scanner accepted, so the first bad byte decides. */
    if (n > 0) {
      if (m->tab_in_cl)
        rc = execute_cl_tabs(m, data + off, n, &got);
      else
        rc = execute(m, data + off, n, &got);
      m->tab_in_cl = 0;
      off += got;
      if (rc) break;
    }
    if (serr) {
      rc = serr;
      break;
    }
    if (ev == EV_START_LINE) {
      rc = m->ops->start_line(m);
    } else if (ev == EV_HEADER_LINE) {
      rc = finish_header(m);
    } else if (ev == EV_HEAD_END && (!was_head || m->heads == heads)) {
      rc = SMV_ERR_INTERNAL;  /* the scanner and http-parser disagree on where the head ends */
    } else if (ev == EV_MSG_END && m->phase != PH_DONE) {
      rc = SMV_ERR_INTERNAL;
    }
    if (rc) break;
  }
  m->consumed_total += off;
  if (consumed) *consumed = off;
  return rc ? fail(m, rc) : 0;
}

int smv__http_msg_eof(smv__http_msg *m) {
  if (m->phase == PH_DONE) return 0;
  if (m->phase == PH_FAILED) return m->err;
  if (m->phase == PH_BODY && m->body_mode == SMV__HTTP_BODY_EOF) {
    size_t got;
    int rc = execute(m, NULL, 0, &got);
    if (rc) return fail(m, rc);
    if (m->phase == PH_DONE) return 0;
  }
  return fail(m, SMV_ERR_HTTP_EOF);
}

int smv__http_msg_done(const smv__http_msg *m) {
  return m->phase == PH_DONE;
}
