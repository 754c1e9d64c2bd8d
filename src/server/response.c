/* Responses of the server: status, headers and body set by the handler, checked with the core's
 * character rules (a header name is a token, RFC 9110 5.6.2; a value holds no CR, LF or NUL, 5.5),
 * then serialised with the headers the server owns (Date, Server, Content-Length, Connection). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/http_framing.h"
#include "server/server_internal.h"
#include "smv.h"

void smv__srv_response_free(smv__srv_response *r) {
  smv__alloc *a = r->alloc;
  smv__free(a, r->head);
  smv__free(a, r->body);
  smv__free(a, r->q);
  smv__free(a, r->b);
  smv__free(a, r->hs);
  smv__free(a, r);
}

const smv__srv_request *smv__srv_response_request(const smv__srv_response *res) { return &res->req; }

const char *smv__srv_request_header(const smv__srv_request *req, const char *name) {
  for (size_t i = 0; i < req->header_count; i++)
    if (strcasecmp(req->headers[i].name, name) == 0) return req->headers[i].value;
  return NULL;
}

static const char *status_reason(int status) {
  switch (status) {
  case 200: return "OK";
  case 201: return "Created";
  case 202: return "Accepted";
  case 204: return "No Content";
  case 301: return "Moved Permanently";
  case 302: return "Found";
  case 303: return "See Other";
  case 304: return "Not Modified";
  case 307: return "Temporary Redirect";
  case 308: return "Permanent Redirect";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 408: return "Request Timeout";
  case 409: return "Conflict";
  case 410: return "Gone";
  case 413: return "Content Too Large";
  case 415: return "Unsupported Media Type";
  case 422: return "Unprocessable Content";
  case 429: return "Too Many Requests";
  case 431: return "Request Header Fields Too Large";
  case 500: return "Internal Server Error";
  case 502: return "Bad Gateway";
  case 503: return "Service Unavailable";
  case 504: return "Gateway Timeout";
  default: return "Unknown";
  }
}

/* A field value (or reason phrase) the wire can carry: visible characters, spaces and tabs. */
static int value_ok(const char *v) {
  for (const char *p = v; *p; p++)
    if (!smv__http_value_char_ok((unsigned char)*p)) return 0;
  return 1;
}

int smv__srv_response_set_status(smv__srv_response *res, int status, const char *reason) {
  if (status < 100 || status > 999) return SMV_ERR_INVALID_ARG;
  if (reason && !value_ok(reason)) return SMV_ERR_INVALID_ARG;
  snprintf(res->reason, sizeof(res->reason), "%s", reason ? reason : "");
  res->status = status;
  return 0;
}

int smv__srv_response_add_header(smv__srv_response *res, const char *name, const char *value) {
  if (!name || !*name || !value) return SMV_ERR_INVALID_ARG;
  for (const char *p = name; *p; p++)
    if (!smv__http_tchar((unsigned char)*p)) return SMV_ERR_INVALID_ARG;
  if (!value_ok(value)) return SMV_ERR_INVALID_ARG;
  static const char *const reserved[] = {"Content-Length", "Transfer-Encoding", "Connection", "Date"};
  for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
    if (strcasecmp(name, reserved[i]) == 0) return SMV_ERR_INVALID_ARG;
  if (!res->conn) return 0; /* nobody will read it */
  size_t nl = strlen(name), vl = strlen(value), need = nl + 2 + vl + 2;
  if (res->head_len + need > res->head_cap) {
    size_t cap = res->head_cap ? res->head_cap : 256;
    while (cap < res->head_len + need) cap *= 2;
    char *n = smv__realloc(res->alloc, res->head, cap);
    if (!n) return SMV_ERR_NOMEM;
    res->head = n;
    res->head_cap = cap;
  }
  char *p = res->head + res->head_len;
  memcpy(p, name, nl);
  memcpy(p + nl, ": ", 2);
  memcpy(p + nl + 2, value, vl);
  memcpy(p + nl + 2 + vl, "\r\n", 2);
  res->head_len += need;
  return 0;
}

int smv__srv_response_set_body(smv__srv_response *res, const void *body, size_t len) {
  if (!res->conn) return 0;
  uint8_t *b = NULL;
  if (len) {
    b = smv__malloc(res->alloc, len);
    if (!b) return SMV_ERR_NOMEM;
    memcpy(b, body, len);
  }
  smv__free(res->alloc, res->body);
  res->body = b;
  res->body_len = len;
  return 0;
}

void smv__srv_response_close(smv__srv_response *res) { res->close = 1; }

void smv__srv_response_on_abort(smv__srv_response *res,
                                void (*cb)(smv__srv_response *res, void *data), void *data) {
  res->abort_cb = cb;
  res->abort_data = data;
}

int smv__srv_response_send(smv__srv_response *res) {
  /* Inside the abort callback the connection is gone already: the server frees res when the
   * callback returns. */
  if (!res->conn) return 0;
  int close_after = res->close || smv__srv_conn_last(res);
  /* RFC 9110 6.4.1: no content in 1xx, 204, 304 or the answer to HEAD. */
  int no_body = (res->status >= 100 && res->status < 200) || res->status == 204 ||
                res->status == 304 || strcmp(res->req.method, "HEAD") == 0;
  char date[64] = "";
  time_t now = time(NULL);
  struct tm tmv;
  if (gmtime_r(&now, &tmv)) strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tmv);
  const char *server = smv__srv_conn_server_header(res);
  size_t cap = 256 + sizeof(res->reason) + (server ? strlen(server) : 0) + res->head_len +
               (no_body ? 0 : res->body_len);
  char *buf = smv__malloc(res->alloc, cap);
  if (!buf) {
    smv__srv_conn_abandon(res);
    return SMV_ERR_NOMEM;
  }
  int n = snprintf(buf, cap, "HTTP/1.1 %d %s\r\nDate: %s\r\n", res->status,
                   res->reason[0] ? res->reason : status_reason(res->status), date);
  size_t len = (size_t)n;
  if (server) len += (size_t)snprintf(buf + len, cap - len, "Server: %s\r\n", server);
  if (res->status >= 200 && res->status != 204 && res->status != 304)
    len += (size_t)snprintf(buf + len, cap - len, "Content-Length: %zu\r\n", res->body_len);
  len += (size_t)snprintf(buf + len, cap - len, "Connection: %s\r\n",
                          close_after ? "close" : "keep-alive");
  if (res->head_len) memcpy(buf + len, res->head, res->head_len);
  len += res->head_len;
  memcpy(buf + len, "\r\n", 2);
  len += 2;
  if (!no_body && res->body_len) {
    memcpy(buf + len, res->body, res->body_len);
    len += res->body_len;
  }
  return smv__srv_conn_emit(res, buf, len, close_after);
}

int smv__srv_response_send_raw(smv__srv_response *res, const void *bytes, size_t len,
                               int close_after) {
  if (!res->conn) return 0; /* see smv__srv_response_send */
  char *copy = smv__malloc(res->alloc, len ? len : 1);
  if (!copy) {
    smv__srv_conn_abandon(res);
    return SMV_ERR_NOMEM;
  }
  if (len) memcpy(copy, bytes, len);
  return smv__srv_conn_emit(res, copy, len, close_after);
}

int smv__srv_respond(smv__srv_response *res, int status, const char *content_type,
                     const void *body, size_t len) {
  int rc = smv__srv_response_set_status(res, status, NULL);
  if (rc == 0 && content_type) rc = smv__srv_response_add_header(res, "Content-Type", content_type);
  if (rc == 0 && len) rc = smv__srv_response_set_body(res, body, len);
  if (rc != 0) {
    if (res->conn) smv__srv_conn_abandon(res);
    return rc;
  }
  return smv__srv_response_send(res);
}
