/* --har FILE: the chain as a HAR 1.2 log (loads in a browser's network panel). Request headers are
 * the ones smv sends on every hop; response headers are as received. A HAR is for people, like the
 * trace: unless --show-secrets, URLs and Locations are redacted the same way (OAuth code, state,
 * access_token, the service's tokens) and cookie values are left out. The TLS versions the client
 * allowed are in the log's "_tls" (HAR 1.2 allows custom fields that start with an underscore). */
#include <cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli/cli.h"
#include "core/http_request.h"
#include "core/redact.h"

#define SMV__HAR_URL_MAX 8192

static void iso8601(double unix_ms, char *buf, size_t cap) {
  time_t t = (time_t)(unix_ms / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  size_t n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf + n, cap - n, ".%03dZ", (int)((long long)unix_ms % 1000));
}

/* A URL or a header value as the HAR may show it. */
static void shown(const smv__har_opts *o, const char *in, char *out, size_t cap) {
  if (o->show_secrets) snprintf(out, cap, "%s", in);
  else smv__redact(in, out, cap);
}

static cJSON *header(const smv__har_opts *o, const char *name, const char *value, size_t vlen) {
  cJSON *h = cJSON_CreateObject();
  if (!h) return NULL;
  cJSON_AddStringToObject(h, "name", name);
  char buf[8192], clean[8192];
  if (vlen >= sizeof(buf)) vlen = sizeof(buf) - 1;
  memcpy(buf, value, vlen);
  buf[vlen] = '\0';
  if (!o->show_secrets && (!strcasecmp(name, "set-cookie") || !strcasecmp(name, "cookie")))
    snprintf(clean, sizeof(clean), "<redacted>");
  else
    shown(o, buf, clean, sizeof(clean));
  cJSON_AddStringToObject(h, "value", clean);
  return h;
}

static void add_url(const smv__har_opts *o, cJSON *obj, const char *key, const char *url) {
  char clean[SMV__HAR_URL_MAX];
  shown(o, url ? url : "", clean, sizeof(clean));
  cJSON_AddStringToObject(obj, key, clean);
}

static double t(double v) { return v < 0 ? -1 : (double)(long)(v * 1000 + 0.5) / 1000; }

int smv__har_write(const char *path, const smv_result *r, const smv__har_opts *o) {
  cJSON *root = cJSON_CreateObject();
  if (!root) { errno = ENOMEM; return -1; }
  cJSON *log = cJSON_AddObjectToObject(root, "log");
  cJSON_AddStringToObject(log, "version", "1.2");
  cJSON *creator = cJSON_AddObjectToObject(log, "creator");
  cJSON_AddStringToObject(creator, "name", "smv");
  char ver[32];
  snprintf(ver, sizeof(ver), "%d.%d.%d", SMV_VERSION_MAJOR, SMV_VERSION_MINOR, SMV_VERSION_PATCH);
  cJSON_AddStringToObject(creator, "version", ver);
  cJSON *tls = cJSON_AddObjectToObject(log, "_tls");
  cJSON_AddStringToObject(tls, "min", o->tls_min == 13 ? "1.3" : "1.2");
  cJSON_AddStringToObject(tls, "max", o->tls_max == 12 ? "1.2" : "1.3");
  cJSON *pages = cJSON_AddArrayToObject(log, "pages");
  cJSON *page = cJSON_CreateObject();
  char when[40];
  iso8601(r->started_unix_ms, when, sizeof(when));
  cJSON_AddStringToObject(page, "startedDateTime", when);
  cJSON_AddStringToObject(page, "id", "flow");
  add_url(o, page, "title", r->hop_count ? r->hops[0].url : "smv flow");
  cJSON *pt = cJSON_AddObjectToObject(page, "pageTimings");
  cJSON_AddNumberToObject(pt, "onLoad", t(r->stats.ms));
  cJSON_AddItemToArray(pages, page);
  cJSON *entries = cJSON_AddArrayToObject(log, "entries");
  for (size_t i = 0; i < r->hop_count; i++) {
    const smv_hop *h = &r->hops[i];
    cJSON *e = cJSON_CreateObject();
    iso8601(r->started_unix_ms + h->start_ms, when, sizeof(when));
    cJSON_AddStringToObject(e, "pageref", "flow");
    cJSON_AddStringToObject(e, "startedDateTime", when);
    cJSON_AddNumberToObject(e, "time", t(h->ms));
    cJSON *rq = cJSON_AddObjectToObject(e, "request");
    cJSON_AddStringToObject(rq, "method", h->method ? h->method : "GET");
    add_url(o, rq, "url", h->url);
    cJSON_AddStringToObject(rq, "httpVersion", "HTTP/1.1");
    cJSON_AddArrayToObject(rq, "cookies");
    cJSON *rqh = cJSON_AddArrayToObject(rq, "headers");
    cJSON_AddItemToArray(rqh, header(o, "User-Agent", SMV__USER_AGENT, strlen(SMV__USER_AGENT)));
    cJSON_AddArrayToObject(rq, "queryString");
    cJSON_AddNumberToObject(rq, "headersSize", -1);
    cJSON_AddNumberToObject(rq, "bodySize", -1);
    cJSON *rs = cJSON_AddObjectToObject(e, "response");
    cJSON_AddNumberToObject(rs, "status", h->status);
    cJSON_AddStringToObject(rs, "statusText", "");
    cJSON_AddStringToObject(rs, "httpVersion", "HTTP/1.1");
    cJSON_AddArrayToObject(rs, "cookies");
    cJSON *rsh = cJSON_AddArrayToObject(rs, "headers");
    const char *mime = "";
    char mimebuf[128] = "";
    for (const char *line = h->response_headers; line && *line;) {
      const char *nl = strchr(line, '\n');
      size_t len = nl ? (size_t)(nl - line) : strlen(line);
      const char *colon = memchr(line, ':', len);
      if (colon) {
        char name[256];
        size_t nn = (size_t)(colon - line);
        if (nn >= sizeof(name)) nn = sizeof(name) - 1;
        memcpy(name, line, nn);
        name[nn] = '\0';
        const char *v = colon + 1;
        while (v < line + len && *v == ' ') v++;
        cJSON_AddItemToArray(rsh, header(o, name, v, (size_t)(line + len - v)));
        if (!strcasecmp(name, "content-type")) {
          size_t vn = (size_t)(line + len - v);
          if (vn >= sizeof(mimebuf)) vn = sizeof(mimebuf) - 1;
          memcpy(mimebuf, v, vn);
          mimebuf[vn] = '\0';
          mime = mimebuf;
        }
      }
      line = nl ? nl + 1 : line + len;
    }
    cJSON *content = cJSON_AddObjectToObject(rs, "content");
    cJSON_AddNumberToObject(content, "size", (double)h->body_bytes);
    cJSON_AddStringToObject(content, "mimeType", mime);
    add_url(o, rs, "redirectURL", h->location);
    cJSON_AddNumberToObject(rs, "headersSize", -1);
    cJSON_AddNumberToObject(rs, "bodySize", (double)h->body_bytes);
    cJSON_AddObjectToObject(e, "cache");
    cJSON *tm = cJSON_AddObjectToObject(e, "timings");
    cJSON_AddNumberToObject(tm, "blocked", -1);
    cJSON_AddNumberToObject(tm, "dns", t(h->dns_ms));
    /* HAR's connect includes ssl. */
    double conn = h->connect_ms < 0 ? -1 : h->connect_ms + (h->tls_ms > 0 ? h->tls_ms : 0);
    cJSON_AddNumberToObject(tm, "connect", t(conn));
    cJSON_AddNumberToObject(tm, "ssl", t(h->tls_ms));
    cJSON_AddNumberToObject(tm, "send", h->send_ms < 0 ? 0 : t(h->send_ms));
    cJSON_AddNumberToObject(tm, "wait", h->wait_ms < 0 ? 0 : t(h->wait_ms));
    cJSON_AddNumberToObject(tm, "receive", h->receive_ms < 0 ? 0 : t(h->receive_ms));
    if (h->remote[0]) {
      char ip[64];
      snprintf(ip, sizeof(ip), "%s", h->remote[0] == '[' ? h->remote + 1 : h->remote);
      char *end = h->remote[0] == '[' ? strchr(ip, ']') : strrchr(ip, ':');
      if (end) *end = '\0';
      cJSON_AddStringToObject(e, "serverIPAddress", ip);
    }
    cJSON_AddStringToObject(e, "connection", h->local);
    cJSON_AddItemToArray(entries, e);
  }
  char *text = cJSON_Print(root);
  cJSON_Delete(root);
  if (!text) { errno = ENOMEM; return -1; }
  FILE *f = fopen(path, "w");
  int rc = -1;
  if (f) {
    size_t n = strlen(text);
    if (fwrite(text, 1, n, f) == n && fputc('\n', f) != EOF) rc = 0;
    if (fclose(f) != 0) rc = -1;
  }
  cJSON_free(text);
  return rc;
}
