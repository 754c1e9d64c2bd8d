/* libFuzzer target for the response reader. The first input byte picks the method (HEAD or GET)
 * and a split point; the rest is fed whole and then in two pieces (with the bytes after a complete
 * response going to a fresh reader, as on a keep-alive connection). Both runs must give the same
 * events and result (a digest of them), the body delivered must stay within the limit, and consumed
 * counts must stay within what was fed. */
#include <stddef.h>
#include <stdint.h>

#include "core/http_response.h"
#include "http_split.h"

static int on_interim(void *ud, int s) { mix_int(ud, 1, s); return 0; }
static int on_status(void *ud, int s) { mix_int(ud, 2, s); return 0; }

static const smv__http_response_cbs cbs = {on_interim, on_status, on_header, on_done, on_body,
                                           on_complete};

typedef struct reader {
  fuzz_reader ops;  /* first: the driver's view */
  const char *method;
  smv__http_response r;
} reader;

static void r_init(fuzz_reader *fr, digest *d) {
  static char scratch[512];
  static const smv__http_limits lim = {2048, FUZZ_BODY_LIMIT, 3, 20};
  reader *r = (reader *)fr;
  smv__http_response_init(&r->r, &lim, r->method, scratch, sizeof scratch, &cbs, d);
}
static int r_feed(fuzz_reader *r, const char *p, size_t n, size_t *used) {
  return smv__http_response_feed(&((reader *)r)->r, p, n, used);
}
static int r_done(fuzz_reader *r) { return smv__http_response_done(&((reader *)r)->r); }
static int r_eof(fuzz_reader *r) { return smv__http_response_eof(&((reader *)r)->r); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t len = size - 1;
  size_t cut = len ? (size_t)(data[0] >> 1) % (len + 1) : 0;
  reader r = {.ops = {r_init, r_feed, r_done, r_eof}, .method = (data[0] & 1) ? "HEAD" : "GET"};
  if (fuzz_split_feed(&r.ops, data + 1, len, len) != fuzz_split_feed(&r.ops, data + 1, len, cut)) abort();
  return 0;
}
