/* libFuzzer target for the response reader. The first input byte picks the method (HEAD or GET)
 * and a split point; the rest is fed whole and then in two pieces (with the bytes after a complete
 * response going to a fresh reader, as on a keep-alive connection). Both runs must give the same
 * events and result (a digest of them), the body delivered must stay within the limit, and consumed
 * counts must stay within what was fed. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/http_response.h"

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

static int on_interim(void *ud, int s) { mix_int(ud, 1, s); return 0; }
static int on_status(void *ud, int s) { mix_int(ud, 2, s); return 0; }
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
  if (d->body > 1024) abort();  /* the limit below */
  mix(d, p, n);                  /* the body chunking may differ, its bytes may not */
  return 0;
}
static int on_complete(void *ud, int ka) { mix_int(ud, 6, ka); ((digest *)ud)->body = 0; return 0; }

static const smv__http_response_cbs cbs = {on_interim, on_status, on_header, on_done, on_body,
                                           on_complete};

static uint64_t run(const char *method, const uint8_t *data, size_t len, size_t cut) {
  static char scratch[512];
  smv__http_limits lim = {2048, 1024, 3, 20};
  smv__http_response r;
  digest d = {0xcbf29ce484222325ULL, 0};
  int active = 0, err = 0;
  size_t pieces[2] = {cut, len}, prev = 0;
  for (int i = 0; i < 2 && !err; i++) {
    size_t off = prev, end = pieces[i];
    prev = end;
    while (off < end && !err) {
      if (!active) {
        smv__http_response_init(&r, &lim, method, scratch, sizeof scratch, &cbs, &d);
        active = 1;
      }
      size_t used = 0;
      err = smv__http_response_feed(&r, (const char *)data + off, end - off, &used);
      if (used > end - off) abort();
      off += used;
      if (!err && smv__http_response_done(&r)) active = 0;
      else if (!err && off != end) abort();
    }
  }
  if (!err && active) err = smv__http_response_eof(&r);
  mix_int(&d, 7, err);
  return d.h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  const char *method = (data[0] & 1) ? "HEAD" : "GET";
  size_t len = size - 1;
  size_t cut = len ? (size_t)(data[0] >> 1) % (len + 1) : 0;
  if (run(method, data + 1, len, len) != run(method, data + 1, len, cut)) abort();
  return 0;
}
