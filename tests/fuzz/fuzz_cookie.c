/* libFuzzer target for the cookie jar. The input is a sequence of Set-Cookie values separated by
 * '\n'; the first byte of each picks which of a few chain URLs sent it. After every value the jar's
 * bookkeeping must stay inside its fixed storage, and the Cookie header built for each URL must be
 * NUL-terminated, fit its buffer, hold no CR, LF or NUL, and carry nothing to a host outside the
 * chain (an attacker's Domain attribute must not reach another site). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cookie.h"

static const char *const urls[] = {
  "https://svc.example.com/mi/device/abc", "http://he.operator.example.net/he/op/1?x=1",
  "https://svc.example.com/", "https://127.0.0.1:8443/a/b/c", "https://[::1]/x",
  "https://a.b.svc.example.com/deep/path/",
};
#define NURLS (sizeof urls / sizeof urls[0])
static const char outsider[] = "https://attacker.test/";

static smv__url parsed[NURLS], other;
static int ready;

static void check_jar(const smv__cookie_jar *j) {
  if (j->store_used > SMV__COOKIE_STORE) abort();
  for (size_t i = 0; i < SMV__COOKIE_MAX; i++) {
    const smv__cookie *c = &j->c[i];
    if (!c->used) continue;
    if ((size_t)c->name + c->name_len > j->store_used || (size_t)c->value + c->value_len > j->store_used ||
        (size_t)c->domain + c->domain_len > j->store_used || (size_t)c->path + c->path_len > j->store_used)
      abort();
  }
}

static void check_header(const smv__cookie_jar *j, const smv__url *u, size_t cap) {
  char buf[512];
  memset(buf, 'X', sizeof buf);
  size_t n = smv__cookie_header(j, u, buf, cap);
  if (n >= cap || buf[n] != '\0' || strlen(buf) != n) abort();
  if (memchr(buf, '\r', n) || memchr(buf, '\n', n)) abort();
  if (cap < sizeof buf && buf[cap] != 'X') abort();  /* wrote past cap */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!ready) {
    for (size_t i = 0; i < NURLS; i++)
      if (smv__url_parse(&parsed[i], urls[i], strlen(urls[i])) != 0) abort();
    if (smv__url_parse(&other, outsider, sizeof outsider - 1) != 0) abort();
    ready = 1;
  }
  static smv__cookie_jar jar;
  smv__cookie_jar_init(&jar);
  const char *s = (const char *)data, *end = s + size;
  while (s < end) {
    const char *nl = memchr(s, '\n', (size_t)(end - s));
    const char *e = nl ? nl : end;
    if (e > s) {
      size_t k = (unsigned char)*s % NURLS;
      smv__cookie_set(&jar, &parsed[k], s + 1, (size_t)(e - s - 1));
      check_jar(&jar);
    }
    s = nl ? nl + 1 : end;
  }
  for (size_t i = 0; i < NURLS; i++) {
    check_header(&jar, &parsed[i], 512);
    check_header(&jar, &parsed[i], 1 + size % 40);
  }
  char buf[64];
  if (smv__cookie_header(&jar, &other, buf, sizeof buf) != 0) abort();
  return 0;
}
