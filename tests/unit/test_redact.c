/* What the trace and the HAR show: parameter values and token-shaped strings are hidden
 * (core/redact.h), and the form decoding of OAuth parameters (core/query.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/query.h"
#include "core/redact.h"

static void check(const char *in, const char *want) {
  char out[512];
  smv__redact(in, out, sizeof(out));
  assert_string_equal(out, want);
}

static void test_query_and_fragment_values(void **s) {
  (void)s;
  check("https://svc.example/a?x=1&y=2", "https://svc.example/a?x=<redacted>&y=<redacted>");
  check("myapp://cb?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz",
        "myapp://cb?code=<redacted>&state=<redacted>");
  /* an implicit-style response in the fragment is hidden too */
  check("myapp://cb#access_token=2YotnFZFEjr1zCsicMWpAA&token_type=Bearer",
        "myapp://cb#access_token=<redacted>&token_type=<redacted>");
  check("https://a.example/p?q=1#f=2", "https://a.example/p?q=<redacted>#f=<redacted>");
  /* a path is not a query: '=' outside one stays */
  check("https://a.example/k=v/x", "https://a.example/k=v/x");
  /* a space ends a URL in a trace line; the next word is plain text again */
  check("302 -> https://a.example/?t=1 then a=b", "302 -> https://a.example/?t=<redacted> then a=b");
  check("GET /x?", "GET /x?");
  check("?=", "?=<redacted>");
}

static void test_token_shapes(void **s) {
  (void)s;
  check("GET /mi/device/85d1ed2c-3f2f-4fa3-a038-1173e8803ea8", "GET /mi/device/<token>");
  check("85D1ED2C-3F2F-4FA3-A038-1173E8803EA8!", "<token>!");
  /* one digit short, or a wrong separator: not a token */
  check("85d1ed2c-3f2f-4fa3-a038-1173e8803ea", "85d1ed2c-3f2f-4fa3-a038-1173e8803ea");
  check("85d1ed2c_3f2f-4fa3-a038-1173e8803ea8", "85d1ed2c_3f2f-4fa3-a038-1173e8803ea8");
}

static void test_bounded(void **s) {
  (void)s;
  char out[16];
  smv__redact("https://a.example/?code=secret", out, sizeof(out));
  assert_int_equal(strlen(out), sizeof(out) - 1);
  assert_null(strstr(out, "secret"));
  smv__redact("https://a.example/?c=secretsecret", out, sizeof(out));
  assert_null(strstr(out, "secret"));
  char one[1] = {'x'};
  smv__redact("abc", one, 1);
  assert_int_equal(one[0], '\0');
}

static void test_form_decode(void **s) {
  (void)s;
  char out[16];
  assert_int_equal(smv__form_decode("a+b%2Bc%2f", 10, out, sizeof(out)), 6);
  assert_string_equal(out, "a b+c/");
  assert_int_equal(smv__form_decode("%", 1, out, sizeof(out)), -1);
  assert_int_equal(smv__form_decode("%4", 2, out, sizeof(out)), -1);
  assert_int_equal(smv__form_decode("%4g", 3, out, sizeof(out)), -1);
  assert_int_equal(smv__form_decode("%00", 3, out, sizeof(out)), -1);
  assert_int_equal(smv__form_decode("0123456789abcdef", 16, out, sizeof(out)), -1); /* no room for NUL */
  assert_int_equal(smv__form_decode("", 0, out, sizeof(out)), 0);
  assert_string_equal(out, "");
}

static void test_query_find(void **s) {
  (void)s;
  const char *q = "a=1&b&c=&%63=3&d=x=y";
  const char *v;
  size_t n;
  assert_int_equal(smv__query_find(q, strlen(q), "a", &v, &n), 1);
  assert_int_equal(n, 1);
  assert_memory_equal(v, "1", 1);
  assert_int_equal(smv__query_find(q, strlen(q), "b", &v, &n), 1);
  assert_int_equal(n, 0);
  assert_int_equal(smv__query_find(q, strlen(q), "c", &v, &n), 2); /* c= and %63= */
  assert_int_equal(n, 0);
  assert_int_equal(smv__query_find(q, strlen(q), "d", &v, &n), 1);
  assert_int_equal(n, 3); /* the first '=' separates */
  assert_int_equal(smv__query_find(q, strlen(q), "e", &v, &n), 0);
  assert_null(v);
  assert_int_equal(smv__query_find("", 0, "a", &v, &n), 0);
  assert_int_equal(smv__query_find("&&a=2&&", 7, "a", &v, &n), 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_query_and_fragment_values),
    cmocka_unit_test(test_token_shapes),
    cmocka_unit_test(test_bounded),
    cmocka_unit_test(test_form_decode),
    cmocka_unit_test(test_query_find),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
