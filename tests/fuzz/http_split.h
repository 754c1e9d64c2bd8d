/* Shared by the two HTTP reader targets: a digest of the reader's events, and the driver that feeds
 * a connection's bytes whole or cut in two (a fresh reader after each complete message, as on a
 * keep-alive connection). The targets compare the digests of both runs. Header-only: each target is
 * its own program. */
#ifndef SMV_FUZZ_HTTP_SPLIT_H
#define SMV_FUZZ_HTTP_SPLIT_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

enum { FUZZ_BODY_LIMIT = 1024 };  /* the max_body_bytes both targets configure */

typedef struct digest {
  uint64_t h;
  uint64_t body;  /* body bytes of the current message */
} digest;

static inline void mix(digest *d, const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) d->h = (d->h ^ b[i]) * 0x100000001b3ULL;
}

static inline void mix_int(digest *d, int tag, int v) {
  int t[2] = {tag, v};
  mix(d, t, sizeof t);
}

/* The callbacks both readers have. */
static inline int on_header(void *ud, const char *n, size_t nl, const char *v, size_t vl) {
  mix_int(ud, 3, (int)nl);
  mix(ud, n, nl);
  mix_int(ud, 4, (int)vl);
  mix(ud, v, vl);
  return 0;
}
static inline int on_done(void *ud) { mix_int(ud, 5, 0); return 0; }
static inline int on_body(void *ud, const char *p, size_t n) {
  digest *d = ud;
  d->body += n;
  if (d->body > FUZZ_BODY_LIMIT) abort();
  mix(d, p, n);  /* the body chunking may differ, its bytes may not */
  return 0;
}
static inline int on_complete(void *ud, int ka) {
  mix_int(ud, 6, ka);
  ((digest *)ud)->body = 0;
  return 0;
}

/* A reader under test, seen through four calls. */
typedef struct fuzz_reader {
  void (*init)(struct fuzz_reader *r, digest *d);
  int (*feed)(struct fuzz_reader *r, const char *p, size_t n, size_t *used);
  int (*done)(struct fuzz_reader *r);
  int (*eof)(struct fuzz_reader *r);
} fuzz_reader;

/* Feeds data[0..cut) then data[cut..len); returns the digest of events and result. A reader that
 * consumes more than it was given, or stops early without finishing or failing, aborts. */
static inline uint64_t fuzz_split_feed(fuzz_reader *r, const uint8_t *data, size_t len, size_t cut) {
  digest d = {0xcbf29ce484222325ULL, 0};
  int active = 0, err = 0;
  size_t pieces[2] = {cut, len}, prev = 0;
  for (int i = 0; i < 2 && !err; i++) {
    size_t off = prev, end = pieces[i];
    prev = end;
    while (off < end && !err) {
      if (!active) {
        r->init(r, &d);
        active = 1;
      }
      size_t used = 0;
      err = r->feed(r, (const char *)data + off, end - off, &used);
      if (used > end - off) abort();
      off += used;
      if (!err && r->done(r)) active = 0;
      else if (!err && off != end) abort();
    }
  }
  if (!err && active) err = r->eof(r);
  mix_int(&d, 7, err);
  return d.h;
}

#endif
