/* libFuzzer target for the service's JSON bodies (the final {"token","returnUrl"} and the ERROR
 * object). The first input byte picks an allocation to refuse (0: none), so that the error paths run
 * too. Whatever the body, the parse must give 0, HTTP_BODY_JSON or (only when an allocation was
 * refused) NOMEM; and the allocator must be back to zero bytes after the free, or a flow would leak on
 * every hostile body. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/seed_json.h"
#include "smv.h"

typedef struct budget {
  unsigned long calls, fail_at;
} budget;

static void *f_malloc(size_t n, void *ud) {
  budget *b = ud;
  if (++b->calls == b->fail_at) return NULL;
  return malloc(n);
}
static void *f_realloc(void *p, size_t n, void *ud) {
  budget *b = ud;
  if (++b->calls == b->fail_at) return NULL;
  return realloc(p, n);
}
static void f_free(void *p, void *ud) { (void)ud; free(p); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  budget b = {0, data[0]};
  smv_allocator hook = {f_malloc, f_realloc, f_free, &b};
  smv__alloc a;
  smv__alloc_init(&a, &hook);
  /* A copy of exactly the body's bytes: the parser must not read past len. */
  size_t len = size - 1;
  char *body = malloc(len ? len : 1);
  if (!body) return 0;
  memcpy(body, data + 1, len);

  smv__seed_body sb;
  int rc = smv__seed_body_parse(&a, body, len, &sb);
  if (rc == SMV_ERR_NOMEM && a.failures == 0) abort();
  if (rc != 0 && rc != SMV_ERR_NOMEM && rc != SMV_ERR_HTTP_BODY_JSON) abort();
  if (rc == 0) {
    if (sb.return_url && !sb.return_url_present) abort();
    if (!sb.has_error && (sb.error_name || sb.error_description || sb.error_id)) abort();
    smv__seed_body_free(&a, &sb);
  } else if (sb.status || sb.token || sb.return_url || sb.device_redirect_url || sb.error_name ||
             sb.error_description) {
    abort();  /* a failed parse hands nothing back */
  }
  if (a.current != 0) abort();
  free(body);
  return 0;
}
