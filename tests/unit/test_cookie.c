/* The per-flow cookie jar (RFC 6265 subset). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/cookie.h"

static smv__url U;
static const smv__url *url(const char *s) {
  assert_int_equal(smv__url_parse(&U, s, strlen(s)), 0);
  return &U;
}

static const char *hdr(const smv__cookie_jar *j, const char *u) {
  static char buf[1024];
  smv__cookie_header(j, url(u), buf, sizeof(buf));
  return buf;
}

static void set(smv__cookie_jar *j, const char *u, const char *v) { smv__cookie_set(j, url(u), v, strlen(v)); }

static void test_host_only(void **s) {
  (void)s;
  smv__cookie_jar j;
  smv__cookie_jar_init(&j);
  set(&j, "https://svc.example/a/b", "sid=1");
  assert_string_equal(hdr(&j, "https://svc.example/a/c"), "sid=1");
  assert_string_equal(hdr(&j, "https://svc.example/"), "");      /* default-path /a */
  assert_string_equal(hdr(&j, "https://sub.svc.example/a/c"), ""); /* host-only */
  assert_string_equal(hdr(&j, "https://other.example/a/c"), "");
}

static void test_domain_cookie(void **s) {
  (void)s;
  smv__cookie_jar j;
  smv__cookie_jar_init(&j);
  set(&j, "https://a.svc.example/", "d=1; Domain=svc.example; Path=/");
  assert_string_equal(hdr(&j, "https://b.svc.example/x"), "d=1");
  assert_string_equal(hdr(&j, "https://svc.example/x"), "d=1");
  assert_string_equal(hdr(&j, "https://evilsvc.example/x"), "");
  /* a host cannot set cookies for another domain, nor for a bare label */
  set(&j, "https://a.svc.example/", "x=1; Domain=other.example");
  set(&j, "https://a.svc.example/", "y=1; Domain=example");
  assert_string_equal(hdr(&j, "https://other.example/"), "");
  assert_string_equal(hdr(&j, "https://b.svc.example/x"), "d=1");
  /* no domain cookies on IP hosts */
  set(&j, "https://127.0.0.1/", "z=1; Domain=0.0.1");
  assert_string_equal(hdr(&j, "https://127.0.0.1/"), "");
}

static void test_secure_and_replace_and_delete(void **s) {
  (void)s;
  smv__cookie_jar j;
  smv__cookie_jar_init(&j);
  set(&j, "https://svc.example/", "s=1; Secure; HttpOnly");
  assert_string_equal(hdr(&j, "https://svc.example/"), "s=1");
  assert_string_equal(hdr(&j, "http://svc.example/"), "");
  set(&j, "http://svc.example/", "t=1; Secure");  /* plain http may not set Secure */
  assert_string_equal(hdr(&j, "https://svc.example/"), "s=1");
  for (int i = 0; i < 100; i++) set(&j, "https://svc.example/", "s=2");  /* replacing never fills */
  assert_string_equal(hdr(&j, "https://svc.example/"), "s=2");
  set(&j, "https://svc.example/", "s=; Max-Age=0");
  assert_string_equal(hdr(&j, "https://svc.example/"), "");
  set(&j, "https://svc.example/", "e=1");
  set(&j, "https://svc.example/", "e=; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
  assert_string_equal(hdr(&j, "https://svc.example/"), "");
}

static void test_bounds_and_garbage(void **s) {
  (void)s;
  smv__cookie_jar j;
  smv__cookie_jar_init(&j);
  char v[64];
  for (int i = 0; i < 40; i++) {
    snprintf(v, sizeof(v), "c%d=%d", i, i);
    set(&j, "https://svc.example/", v);
  }
  assert_true(j.dropped > 0);
  char big[6000];
  memset(big, 'a', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  big[0] = 'b';
  big[1] = '=';
  smv__cookie_jar_init(&j);
  set(&j, "https://svc.example/", big);
  assert_string_equal(hdr(&j, "https://svc.example/"), "");
  set(&j, "https://svc.example/", "novalue");
  set(&j, "https://svc.example/", "=x");
  set(&j, "https://svc.example/", "a b=1");
  set(&j, "https://svc.example/", "ok=1");
  assert_string_equal(hdr(&j, "https://svc.example/"), "ok=1");
  /* a header that does not fit is not truncated: nothing is sent */
  char small[4];
  assert_int_equal(smv__cookie_header(&j, url("https://svc.example/"), small, sizeof(small)), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_host_only), cmocka_unit_test(test_domain_cookie),
    cmocka_unit_test(test_secure_and_replace_and_delete), cmocka_unit_test(test_bounds_and_garbage),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
