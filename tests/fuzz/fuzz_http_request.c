/* libFuzzer target for the servers' request reader: the input is a connection's bytes (pipelined
 * requests, a fresh reader after each complete one), fed whole and in two pieces at a point the
 * first byte picks. Both runs must agree on events and result; consumed stays within what was fed;
 * bodies stay within the limit. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/http_request.h"

typedef struct digest {
  uint64_t h;
  uint64_t body;
} digest;

static void mix(digest *d, const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) d->h = (d->h ^ b[i]) * 0x100000001b3ULL;
}

static void mix_int(digest *d, int tag, int v) {
  int t[2] = {tag, v};
  mix(d, t, sizeof t);
}

static int on_line(void *ud, const char *m, const char *t, size_t tl, int minor) {
  mix(ud, m, strlen(m));
  mix_int(ud, 1, (int)tl);
  mix(ud, t, tl);
  mix_int(ud, 2, minor);
  return 0;
}
static int on_header(void *ud, const char *n, size_t nl, const char *v, size_t vl) {
  mix_int(ud, 3, (int)nl);
  mix(ud, n, nl);
  mix_int(ud, 4, (int)vl);
  mix(ud, v, vl);
  return 0;
}
static int on_done(void *ud) { mix_int(ud, 5, 0); return 0; }
static int on_body(void *ud, const char *p, size_t n) {
  digest *d = ud;
  d->body += n;
  if (d->body > 1024) abort();
  mix(d, p, n);
  return 0;
}
static int on_complete(void *ud, int ka) { mix_int(ud, 6, ka); ((digest *)ud)->body = 0; return 0; }

static const smv__http_request_cbs cbs = {on_line, on_header, on_done, on_body, on_complete};

static uint64_t run(const uint8_t *data, size_t len, size_t cut) {
  static char scratch[512];
  smv__http_limits lim = {2048, 1024, 0, 20};
  smv__http_request_reader q;
  digest d = {0xcbf29ce484222325ULL, 0};
  int active = 0, err = 0;
  size_t pieces[2] = {cut, len}, prev = 0;
  for (int i = 0; i < 2 && !err; i++) {
    size_t off = prev, end = pieces[i];
    prev = end;
    while (off < end && !err) {
      if (!active) {
        smv__http_request_reader_init(&q, &lim, scratch, sizeof scratch, &cbs, &d);
        active = 1;
      }
      size_t used = 0;
      err = smv__http_request_reader_feed(&q, (const char *)data + off, end - off, &used);
      if (used > end - off) abort();
      off += used;
      if (!err && smv__http_request_reader_done(&q)) active = 0;
      else if (!err && off != end) abort();
    }
  }
  if (!err && active) err = smv__http_request_reader_eof(&q);
  mix_int(&d, 7, err);
  return d.h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t len = size - 1;
  size_t cut = len ? (size_t)data[0] % (len + 1) : 0;
  if (run(data + 1, len, len) != run(data + 1, len, cut)) abort();
  return 0;
}
