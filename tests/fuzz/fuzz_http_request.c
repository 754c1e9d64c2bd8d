/* libFuzzer target for the servers' request reader: the input is a connection's bytes (pipelined
 * requests, a fresh reader after each complete one), fed whole and in two pieces at a point the
 * first byte picks. Both runs must agree on events and result; consumed stays within what was fed;
 * bodies stay within the limit. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/http_request.h"
#include "http_split.h"

static int on_line(void *ud, const char *m, const char *t, size_t tl, int minor) {
  mix(ud, m, strlen(m));
  mix_int(ud, 1, (int)tl);
  mix(ud, t, tl);
  mix_int(ud, 2, minor);
  return 0;
}

static const smv__http_request_cbs cbs = {on_line, on_header, on_done, on_body, on_complete};

typedef struct reader {
  fuzz_reader ops;  /* first: the driver's view */
  smv__http_request_reader q;
} reader;

static void r_init(fuzz_reader *r, digest *d) {
  static char scratch[512];
  static const smv__http_limits lim = {2048, FUZZ_BODY_LIMIT, 0, 20};
  smv__http_request_reader_init(&((reader *)r)->q, &lim, scratch, sizeof scratch, &cbs, d);
}
static int r_feed(fuzz_reader *r, const char *p, size_t n, size_t *used) {
  return smv__http_request_reader_feed(&((reader *)r)->q, p, n, used);
}
static int r_done(fuzz_reader *r) { return smv__http_request_reader_done(&((reader *)r)->q); }
static int r_eof(fuzz_reader *r) { return smv__http_request_reader_eof(&((reader *)r)->q); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t len = size - 1;
  size_t cut = len ? (size_t)data[0] % (len + 1) : 0;
  reader r = {.ops = {r_init, r_feed, r_done, r_eof}};
  if (fuzz_split_feed(&r.ops, data + 1, len, len) != fuzz_split_feed(&r.ops, data + 1, len, cut)) abort();
  return 0;
}
