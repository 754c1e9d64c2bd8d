/* The redirect policy and the flow's outcome, decision by decision (the rules of core/redirect.h),
 * without a socket: each response is its status and headers. */
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
static smv__alloc A;

static int start_pol(const char *url, const smv__redirect_policy *pol) {
  smv__redirect_free(&R);
  return smv__redirect_start(&R, pol, &A, url, strlen(url));
}

static int start(const char *url, unsigned max, int no_http, const char *ret) {
  smv__redirect_policy pol = {max, no_http, 4096, 0, ret, NULL};
  return start_pol(url, &pol);
}

static int group_setup(void **s) {
  (void)s;
  smv__alloc_init(&A, NULL);
  return 0;
}

/* Every URL, Location and parameter the tests made came back. */
static int group_teardown(void **s) {
  (void)s;
  smv__redirect_free(&R);
  return A.current == 0 ? 0 : -1;
}

/* One response: status, then headers as "Name: value" strings (NULL-terminated list). */
static int respond(int status, smv__redirect_action *act, const char *const *headers) {
  smv__redirect_response_begin(&R);
  for (size_t i = 0; headers && headers[i]; i++) {
    const char *colon = strchr(headers[i], ':');
    const char *v = colon + 1;
    while (*v == ' ') v++;
    int rc = smv__redirect_header(&R, headers[i], (size_t)(colon - headers[i]), v, strlen(v));
    if (rc) return rc;
  }
  return smv__redirect_on_response(&R, status, act);
}

static int step(int status, const char *loc, smv__redirect_action *act) {
  char h[6000];
  snprintf(h, sizeof(h), "Location: %s", loc ? loc : "");
  const char *hs[] = {h, NULL};
  return respond(status, act, loc ? hs : NULL);
}

static void test_first_hop_rules(void **s) {
  (void)s;
  assert_int_equal(start("https://svc.example/a", 10, 0, NULL), 0);
  assert_int_equal(start("http://svc.example/a", 10, 0, NULL), SMV_ERR_URL_SCHEME);
  assert_int_equal(start("https://user:pw@svc.example/a", 10, 0, NULL), SMV_ERR_URL_USERINFO);
  assert_int_equal(start("not a url", 10, 0, NULL), SMV_ERR_URL_PARSE);
  assert_int_equal(start("ftp://svc.example/a", 10, 0, NULL), SMV_ERR_URL_SCHEME);
  /* the returnUrl is parsed once, at the start */
  assert_int_equal(start("https://svc.example/a", 10, 0, "not a url"), SMV_ERR_URL_PARSE);
  assert_int_equal(start("https://svc.example/a", 10, 0, "myapp://done"), 0);
  assert_non_null(R.return_url);
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
  assert_string_equal(R.current->href, "myapp://verified?token=abc");
  assert_false(R.auth.present); /* a seed returnUrl carries no OAuth parameters */
  /* ...nor does one with a state alone, outside an authorization chain (the test server's chain) */
  assert_int_equal(start("https://svc.example/start", 10, 0, "myapp://verified"), 0);
  assert_int_equal(step(302, "myapp://verified?state=ok", &act), 0);
  assert_int_equal(act, SMV__REDIRECT_RETURN_URL);
  assert_false(R.auth.present);
  assert_null(R.auth.state);
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
  assert_int_equal(act, SMV__REDIRECT_COMPLETED);
  assert_int_equal(R.outcome_error, 0);
  assert_int_equal(step(400, NULL, &act), 0);
  assert_int_equal(act, SMV__REDIRECT_SERVICE_ERROR);
  assert_int_equal(R.outcome_error, SMV_ERR_SERVICE_ERROR);
  /* a 3xx that is not followed ends the flow as a service error */
  assert_int_equal(step(300, "/x", &act), 0);
  assert_int_equal(act, SMV__REDIRECT_SERVICE_ERROR);
  assert_int_equal(step(304, NULL, &act), 0);
  assert_int_equal(act, SMV__REDIRECT_SERVICE_ERROR);
}

static void test_single_request(void **s) {
  (void)s;
  smv__redirect_action act;
  smv__redirect_policy pol = {10, 0, 4096, 1, NULL, NULL};
  assert_int_equal(start_pol("https://app.example/start", &pol), 0);
  assert_int_equal(step(302, "/elsewhere", &act), 0);  /* not followed: it completes */
  assert_int_equal(act, SMV__REDIRECT_COMPLETED);
  assert_int_equal(step(204, NULL, &act), 0);
  assert_int_equal(act, SMV__REDIRECT_COMPLETED);
  assert_int_equal(step(503, NULL, &act), 0);
  assert_int_equal(act, SMV__REDIRECT_SERVICE_ERROR);
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
  const char *two[] = {"Location: /a", "Location: /b", NULL};
  assert_int_equal(respond(302, &act, two), SMV_ERR_LOCATION_MULTIPLE);
  const char *same[] = {"Location: /a", "Location: /a", NULL};
  assert_int_equal(respond(302, &act, same), 0);
  assert_int_equal(act, SMV__REDIRECT_FETCH);
  /* more than two: identical copies are one; one different copy anywhere is a conflict */
  const char *three_same[] = {"Location: /c", "X-Other: 1", "location: /c", "LOCATION: /c", NULL};
  assert_int_equal(respond(302, &act, three_same), 0);
  assert_string_equal(R.current->href, "https://svc.example/c");
  const char *last_differs[] = {"Location: /d", "Location: /d", "Location: /d", "Location: /e", NULL};
  assert_int_equal(respond(302, &act, last_differs), SMV_ERR_LOCATION_MULTIPLE);
  const char *case_differs[] = {"Location: /f", "Location: /F", NULL};
  assert_int_equal(respond(302, &act, case_differs), SMV_ERR_LOCATION_MULTIPLE);
  /* the first Location is what the hop records */
  assert_string_equal(smv__redirect_location(&R), "/f");
  char big[5000];
  memset(big, 'a', sizeof(big) - 1);
  big[0] = '/';
  big[sizeof(big) - 1] = '\0';
  assert_int_equal(step(302, big, &act), SMV_ERR_LOCATION_TOO_LONG);
  /* a conflict is reported before the length */
  char bigh[5100];
  snprintf(bigh, sizeof(bigh), "Location: %s", big);
  const char *big_two[] = {bigh, "Location: /g", NULL};
  assert_int_equal(respond(302, &act, big_two), SMV_ERR_LOCATION_MULTIPLE);
  assert_int_equal(step(302, "http://[::1", &act), SMV_ERR_LOCATION_BAD);
  assert_int_equal(step(302, "https://u:p@svc.example/", &act), SMV_ERR_URL_USERINFO);
  assert_int_equal(step(302, "javascript:alert(1)", &act), SMV_ERR_REDIRECT_SCHEME);
  assert_int_equal(step(302, "file:///etc/passwd", &act), SMV_ERR_REDIRECT_SCHEME);
  assert_int_equal(step(302, "data:text/plain,x", &act), SMV_ERR_REDIRECT_SCHEME);
  /* the limit is the policy's */
  smv__redirect_policy pol = {10, 0, 16, 0, NULL, NULL};
  assert_int_equal(start_pol("https://svc.example/", &pol), 0);
  assert_int_equal(step(302, "/0123456789abcde", &act), 0);   /* 16 bytes */
  assert_int_equal(step(302, "/0123456789abcdef", &act), SMV_ERR_LOCATION_TOO_LONG);
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

/* Rule 9: the first request's method and body survive only 307 and 308. */
static void test_method_through_redirects(void **s) {
  (void)s;
  smv__redirect_action act;
  assert_int_equal(start("https://svc.example/a", 10, 0, NULL), 0);
  assert_true(R.keep_method);
  assert_int_equal(step(307, "/b", &act), 0);
  assert_true(R.keep_method);
  assert_int_equal(step(308, "/c", &act), 0);
  assert_true(R.keep_method);
  assert_int_equal(step(303, "/d", &act), 0);
  assert_false(R.keep_method);
  assert_int_equal(step(307, "/e", &act), 0); /* once a GET, always a GET */
  assert_false(R.keep_method);
  int gets[] = {301, 302, 303};
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(start("https://svc.example/a", 10, 0, NULL), 0);
    assert_int_equal(step(gets[i], "/b", &act), 0);
    assert_false(R.keep_method);
  }
}

#define AUTHZ "https://op.example/authorize?response_type=code&client_id=app&state=s1&redirect_uri=myapp%3A%2F%2Fcb"

static void test_authorization_code(void **s) {
  (void)s;
  smv__redirect_action act;
  smv__redirect_policy pol = {10, 0, 4096, 0, "myapp://cb", "s 1/+"};
  assert_int_equal(start_pol(AUTHZ, &pol), 0);
  assert_true(R.authz_chain);
  assert_int_equal(step(302, "https://op.example/he", &act), 0);
  assert_int_equal(act, SMV__REDIRECT_FETCH);
  /* decoded once: %2B is '+', '+' is a space, %2525 stays %25 */
  assert_int_equal(step(302, "myapp://cb?code=ab%2525c%2Bd&state=s+1%2F%2B", &act), 0);
  assert_int_equal(act, SMV__REDIRECT_RETURN_URL);
  assert_true(R.auth.present);
  assert_string_equal(R.auth.code, "ab%25c+d");
  assert_string_equal(R.auth.state, "s 1/+");
  assert_null(R.auth.error);
  assert_null(R.auth.error_description);
}

static void test_authorization_state(void **s) {
  (void)s;
  smv__redirect_action act;
  smv__redirect_policy pol = {10, 0, 4096, 0, "myapp://cb", "s1"};
  const char *bad[] = {"myapp://cb?code=x", "myapp://cb?code=x&state=s2", "myapp://cb?code=x&state=",
                       "myapp://cb?code=x&state=S1", "myapp://cb?error=access_denied&state=evil"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
    assert_int_equal(start_pol(AUTHZ, &pol), 0);
    assert_int_equal(step(302, bad[i], &act), SMV_ERR_AUTHORIZATION_STATE);
  }
  /* without an expected state, whatever state comes is reported */
  smv__redirect_policy loose = {10, 0, 4096, 0, "myapp://cb", NULL};
  assert_int_equal(start_pol(AUTHZ, &loose), 0);
  assert_int_equal(step(302, "myapp://cb?code=x&state=zz", &act), 0);
  assert_int_equal(act, SMV__REDIRECT_RETURN_URL);
  assert_string_equal(R.auth.state, "zz");
}

static void test_authorization_error(void **s) {
  (void)s;
  smv__redirect_action act;
  smv__redirect_policy pol = {10, 0, 4096, 0, "myapp://cb", "s1"};
  assert_int_equal(start_pol(AUTHZ, &pol), 0);
  assert_int_equal(step(302, "myapp://cb?error=access_denied&error_description=no+subscriber%21&state=s1", &act), 0);
  assert_int_equal(act, SMV__REDIRECT_SERVICE_ERROR);
  assert_int_equal(R.outcome_error, SMV_ERR_AUTHORIZATION_ERROR);
  assert_string_equal(R.auth.error, "access_denied");
  assert_string_equal(R.auth.error_description, "no subscriber!");
  assert_null(R.auth.code);
}

static void test_authorization_malformed(void **s) {
  (void)s;
  smv__redirect_action act;
  smv__redirect_policy pol = {10, 0, 4096, 0, "myapp://cb", NULL};
  const char *bad[] = {"myapp://cb?code=a&code=b", "myapp://cb?code=a%00b",
                       "myapp://cb?state=1&error=x&state=2"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
    assert_int_equal(start_pol(AUTHZ, &pol), 0);
    assert_int_equal(step(302, bad[i], &act), SMV_ERR_AUTHORIZATION_MALFORMED);
  }
  /* a bad escape is not a URL at all: the Location is refused before its parameters are read */
  const char *not_url[] = {"myapp://cb?code=a%zz", "myapp://cb?code=a%4"};
  for (size_t i = 0; i < sizeof(not_url) / sizeof(*not_url); i++) {
    assert_int_equal(start_pol(AUTHZ, &pol), 0);
    assert_int_equal(step(302, not_url[i], &act), SMV_ERR_LOCATION_BAD);
  }
  /* a value longer than SMV__AUTH_PARAM_MAX decoded is malformed, not cut */
  static char big[SMV__AUTH_PARAM_MAX + 64];
  int n = snprintf(big, sizeof(big), "myapp://cb?code=");
  memset(big + n, 'x', SMV__AUTH_PARAM_MAX + 1);
  assert_int_equal(start_pol(AUTHZ, &pol), 0);
  assert_int_equal(step(302, big, &act), SMV_ERR_AUTHORIZATION_MALFORMED);
  /* the redirect_uri of an authorization chain without a code or an error */
  assert_int_equal(start_pol(AUTHZ, &pol), 0);
  assert_int_equal(step(302, "myapp://cb?state=s1", &act), SMV_ERR_AUTHORIZATION_MALFORMED);
  assert_int_equal(start_pol(AUTHZ, &pol), 0);
  assert_int_equal(step(302, "myapp://cb", &act), SMV_ERR_AUTHORIZATION_MALFORMED);
  /* an escaped name is the same name (form encoding decodes names too) */
  assert_int_equal(start_pol(AUTHZ, &pol), 0);
  assert_int_equal(step(302, "myapp://cb?c%6Fde=a&code=b", &act), SMV_ERR_AUTHORIZATION_MALFORMED);
}

static void test_interaction_required(void **s) {
  (void)s;
  smv__redirect_action act;
  const char *html[] = {"Content-Type: text/html; charset=utf-8", NULL};
  const char *xhtml[] = {"content-type: APPLICATION/XHTML+XML", NULL};
  const char *json[] = {"Content-Type: application/json", NULL};
  smv__redirect_policy pol = {10, 0, 4096, 0, "myapp://cb", NULL};
  /* an authorization chain that lands on a page: the user is needed */
  assert_int_equal(start_pol(AUTHZ, &pol), 0);
  assert_int_equal(step(302, "https://op.example/consent", &act), 0);
  assert_int_equal(respond(200, &act, html), 0);
  assert_int_equal(act, SMV__REDIRECT_SERVICE_ERROR);
  assert_int_equal(R.outcome_error, SMV_ERR_INTERACTION_REQUIRED);
  assert_string_equal(R.current->href, "https://op.example/consent");
  assert_int_equal(start_pol(AUTHZ, &pol), 0);
  assert_int_equal(respond(200, &act, xhtml), 0);
  assert_int_equal(R.outcome_error, SMV_ERR_INTERACTION_REQUIRED);
  /* a Content-Type sent twice: one HTML value makes it a page */
  const char *both[] = {"Content-Type: application/json", "Content-Type: text/html", NULL};
  assert_int_equal(start_pol(AUTHZ, &pol), 0);
  assert_int_equal(respond(200, &act, both), 0);
  assert_int_equal(R.outcome_error, SMV_ERR_INTERACTION_REQUIRED);
  /* a JSON answer completes as before */
  assert_int_equal(start_pol(AUTHZ, &pol), 0);
  assert_int_equal(respond(200, &act, json), 0);
  assert_int_equal(act, SMV__REDIRECT_COMPLETED);
  /* the seed's chain is not an authorization chain: its HTML completes */
  assert_int_equal(start_pol("https://svc.example/mi/device/1", &pol), 0);
  assert_false(R.authz_chain);
  assert_int_equal(respond(200, &act, html), 0);
  assert_int_equal(act, SMV__REDIRECT_COMPLETED);
  /* an expected state makes any chain an authorization chain */
  smv__redirect_policy st = {10, 0, 4096, 0, "myapp://cb", "s1"};
  assert_int_equal(start_pol("https://svc.example/go", &st), 0);
  assert_int_equal(respond(200, &act, html), 0);
  assert_int_equal(R.outcome_error, SMV_ERR_INTERACTION_REQUIRED);
  /* a 4xx page stays a service error of its own */
  assert_int_equal(start_pol(AUTHZ, &pol), 0);
  assert_int_equal(respond(400, &act, html), 0);
  assert_int_equal(R.outcome_error, SMV_ERR_SERVICE_ERROR);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_first_hop_rules),   cmocka_unit_test(test_chain_and_return_url),
    cmocka_unit_test(test_relative_location_and_final), cmocka_unit_test(test_single_request),
    cmocka_unit_test(test_statuses_followed), cmocka_unit_test(test_location_rules),
    cmocka_unit_test(test_no_http),           cmocka_unit_test(test_hop_limit_exact),
    cmocka_unit_test(test_loop),              cmocka_unit_test(test_method_through_redirects),
    cmocka_unit_test(test_authorization_code), cmocka_unit_test(test_authorization_state),
    cmocka_unit_test(test_authorization_error), cmocka_unit_test(test_authorization_malformed),
    cmocka_unit_test(test_interaction_required),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
