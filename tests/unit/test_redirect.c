/* The redirect policy, decision by decision. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/redirect.h"
#include "smv.h"

static smv__redirect R;
static smv__url RET;
static smv__alloc A;

static int start(const char *url, unsigned max, int no_http, const char *ret) {
  smv__redirect_policy pol = {max, no_http, 4096, NULL};
  if (ret) {
    assert_int_equal(smv__url_parse(&RET, ret, strlen(ret)), 0);
    pol.return_url = &RET;
  }
  smv__redirect_free(&R);
  return smv__redirect_start(&R, &pol, &A, url, strlen(url));
}

static int group_setup(void **s) {
  (void)s;
  smv__alloc_init(&A, NULL);
  return 0;
}

/* Every current URL the tests made came back. */
static int group_teardown(void **s) {
  (void)s;
  smv__redirect_free(&R);
  return A.current == 0 ? 0 : -1;
}

static int step(int status, const char *loc, smv__redirect_action *act) {
  const char *locs[1] = {loc};
  size_t lens[1] = {loc ? strlen(loc) : 0};
  return smv__redirect_on_response(&R, status, locs, lens, loc ? 1 : 0, act);
}

static void test_first_hop_rules(void **s) {
  (void)s;
  assert_int_equal(start("https://svc.example/a", 10, 0, NULL), 0);
  assert_int_equal(start("http://svc.example/a", 10, 0, NULL), SMV_ERR_URL_SCHEME);
  assert_int_equal(start("https://user:pw@svc.example/a", 10, 0, NULL), SMV_ERR_URL_USERINFO);
  assert_int_equal(start("not a url", 10, 0, NULL), SMV_ERR_URL_PARSE);
  assert_int_equal(start("ftp://svc.example/a", 10, 0, NULL), SMV_ERR_URL_SCHEME);
}

static void test_chain_and_return_url(void **s) {
  (void)s;
  smv__redirect_action act;
  assert_int_equal(start("https://svc.example/start", 10, 0, "myapp://verified"), 0);
  assert_int_equal(step(302, "http://op.example:8080/he?x=1", &act), 0);
  assert_int_equal(act, SMV__REDIRECT_FETCH);
  assert_string_equal(R.current->href, "http://op.example:8080/he?x=1");
  assert_int_equal(step(302, "https://svc.example/back", &act), 0);
  assert_int_equal(act, SMV__REDIRECT_FETCH);
  assert_int_equal(step(302, "myapp://verified?token=abc", &act), 0);
  assert_int_equal(act, SMV__REDIRECT_RETURN_URL);
  /* a lookalike is not the returnUrl: then the scheme is simply forbidden */
  assert_int_equal(start("https://svc.example/start", 10, 0, "myapp://verified"), 0);
  assert_int_equal(step(302, "myapp://verified.evil/", &act), SMV_ERR_REDIRECT_SCHEME);
  assert_int_equal(start("https://svc.example/start", 10, 0, "myapp://verified"), 0);
  assert_int_equal(step(302, "myapp:verified", &act), SMV_ERR_REDIRECT_SCHEME);
}

static void test_relative_location_and_final(void **s) {
  (void)s;
  smv__redirect_action act;
  assert_int_equal(start("https://svc.example/a/b?q=1#frag", 10, 0, NULL), 0);
  assert_int_equal(step(303, "../c?d=2", &act), 0);
  assert_string_equal(R.current->href, "https://svc.example/c?d=2");
  assert_int_equal(step(200, NULL, &act), 0);
  assert_int_equal(act, SMV__REDIRECT_FINAL);
  assert_int_equal(step(400, NULL, &act), 0);
  assert_int_equal(act, SMV__REDIRECT_FINAL);
}

static void test_statuses_followed(void **s) {
  (void)s;
  int follow[] = {301, 302, 303, 307, 308};
  int not_follow[] = {200, 204, 300, 304, 305, 306, 400, 500};
  for (size_t i = 0; i < sizeof(follow) / sizeof(*follow); i++) assert_true(smv__redirect_is_redirect(follow[i]));
  for (size_t i = 0; i < sizeof(not_follow) / sizeof(*not_follow); i++) assert_false(smv__redirect_is_redirect(not_follow[i]));
}

static void test_location_rules(void **s) {
  (void)s;
  smv__redirect_action act;
  assert_int_equal(start("https://svc.example/", 10, 0, NULL), 0);
  assert_int_equal(step(302, NULL, &act), SMV_ERR_LOCATION_MISSING);
  const char *two[2] = {"/a", "/b"};
  size_t lens[2] = {2, 2};
  assert_int_equal(smv__redirect_on_response(&R, 302, two, lens, 2, &act), SMV_ERR_LOCATION_MULTIPLE);
  const char *same[2] = {"/a", "/a"};
  assert_int_equal(smv__redirect_on_response(&R, 302, same, lens, 2, &act), 0);
  assert_int_equal(act, SMV__REDIRECT_FETCH);
  char big[5000];
  memset(big, 'a', sizeof(big) - 1);
  big[0] = '/';
  big[sizeof(big) - 1] = '\0';
  assert_int_equal(step(302, big, &act), SMV_ERR_LOCATION_TOO_LONG);
  assert_int_equal(step(302, "http://[::1", &act), SMV_ERR_LOCATION_BAD);
  assert_int_equal(step(302, "https://u:p@svc.example/", &act), SMV_ERR_URL_USERINFO);
  assert_int_equal(step(302, "javascript:alert(1)", &act), SMV_ERR_REDIRECT_SCHEME);
  assert_int_equal(step(302, "file:///etc/passwd", &act), SMV_ERR_REDIRECT_SCHEME);
  assert_int_equal(step(302, "data:text/plain,x", &act), SMV_ERR_REDIRECT_SCHEME);
}

static void test_no_http(void **s) {
  (void)s;
  smv__redirect_action act;
  assert_int_equal(start("https://svc.example/", 10, 1, NULL), 0);
  assert_int_equal(step(302, "http://op.example/", &act), SMV_ERR_REDIRECT_DOWNGRADE);
  assert_int_equal(start("https://svc.example/", 10, 0, NULL), 0);
  assert_int_equal(step(302, "http://op.example/", &act), 0);
}

static void test_hop_limit_exact(void **s) {
  (void)s;
  smv__redirect_action act;
  char loc[64];
  /* max 10: ten redirects are followed, the eleventh fails */
  assert_int_equal(start("https://svc.example/0", 10, 0, NULL), 0);
  for (int i = 1; i <= 10; i++) {
    snprintf(loc, sizeof(loc), "/%d", i);
    assert_int_equal(step(302, loc, &act), 0);
    assert_int_equal(act, SMV__REDIRECT_FETCH);
  }
  assert_int_equal(step(302, "/11", &act), SMV_ERR_TOO_MANY_REDIRECTS);
  /* max 0: no redirect at all */
  assert_int_equal(start("https://svc.example/0", 0, 0, NULL), 0);
  assert_int_equal(step(302, "/1", &act), SMV_ERR_TOO_MANY_REDIRECTS);
}

static void test_loop(void **s) {
  (void)s;
  smv__redirect_action act;
  assert_int_equal(start("https://svc.example/a", 10, 0, NULL), 0);
  assert_int_equal(step(302, "/b", &act), 0);
  assert_int_equal(step(302, "/a", &act), SMV_ERR_REDIRECT_LOOP);
  /* a fragment does not make a new URL */
  assert_int_equal(start("https://svc.example/a", 10, 0, NULL), 0);
  assert_int_equal(step(302, "/a#x", &act), SMV_ERR_REDIRECT_LOOP);
  /* the same path on another scheme is another URL */
  assert_int_equal(start("https://svc.example/a", 10, 0, NULL), 0);
  assert_int_equal(step(302, "http://svc.example/a", &act), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_first_hop_rules),   cmocka_unit_test(test_chain_and_return_url),
    cmocka_unit_test(test_relative_location_and_final), cmocka_unit_test(test_statuses_followed),
    cmocka_unit_test(test_location_rules),    cmocka_unit_test(test_no_http),
    cmocka_unit_test(test_hop_limit_exact),   cmocka_unit_test(test_loop),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
