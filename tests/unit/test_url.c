/* The URL module: parsing and normalisation, RFC 3986 resolution, request target, Host header,
 * returnUrl matching, limits; and two external suites run as suites (WPT's URL tests restricted to
 * http(s), curl's redirect-resolution cases), each with its table of deliberate differences. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>

#include "core/url.h"
#include "helpers/testdata.h"
#include "helpers/url_rules.h"
#include "smv.h"

/* ---- helpers ------------------------------------------------------------------------------------ */

static smv__url U;   /* big: keep off the stack */
static smv__url B;

static int parse(smv__url *u, const char *s) { return smv__url_parse(u, s, strlen(s)); }

static const char *href_of(const char *s) {
  static char buf[SMV__URL_MAX];
  if (parse(&U, s) != 0) return "ERR";
  memcpy(buf, U.href, U.href_len + 1);
  return buf;
}

static const char *resolve_of(const char *base, const char *ref) {
  static char buf[SMV__URL_MAX];
  if (parse(&B, base) != 0) return "BASE-ERR";
  if (smv__url_resolve(&U, &B, ref, strlen(ref)) != 0) return "ERR";
  memcpy(buf, U.href, U.href_len + 1);
  return buf;
}

static int matches(const char *target, const char *ret) {
  static smv__url t, r;
  assert_int_equal(parse(&t, target), 0);
  assert_int_equal(parse(&r, ret), 0);
  return smv__url_matches_return(&t, &r);
}

/* ---- our own cases ------------------------------------------------------------------------------- */

static void test_normalisation(void **state) {
  (void)state;
  assert_string_equal(href_of("HTTPS://App.Example.COM"), "https://app.example.com/");
  assert_string_equal(href_of("https://a.example:443/x"), "https://a.example/x");
  assert_string_equal(href_of("http://a.example:80/x"), "http://a.example/x");
  assert_string_equal(href_of("http://a.example:443/x"), "http://a.example:443/x");
  assert_string_equal(href_of("https://a.example:0080/x"), "https://a.example:80/x");
  assert_string_equal(href_of("http://a.example/%7euser/%41%2f%2F%e2%82%ac?q=%3d%7e#%61"),
                      "http://a.example/~user/A%2F%2F%E2%82%AC?q=%3D~#a");
  assert_string_equal(href_of("http://%41%62c.example/"), "http://abc.example/");
  assert_string_equal(href_of("http://a.example/a/./b/../../c/."), "http://a.example/c/");
  assert_string_equal(href_of("http://a.example/%2e%2E/x/%2e"), "http://a.example/x/");
  assert_string_equal(href_of("http://a.example?x"), "http://a.example/?x");
  assert_string_equal(href_of("http://a.example#f"), "http://a.example/#f");
  assert_string_equal(href_of("MyApp://Done/Path?Q#F"), "myapp://done/Path?Q#F");
  assert_string_equal(href_of("myapp:done"), "myapp:done");
  assert_string_equal(href_of("http://u:p@a.example/"), "http://u:p@a.example/");
  assert_int_equal(U.has_userinfo, 1);
  assert_string_equal(href_of("http://a.example./"), "http://a.example./");
  assert_string_equal(href_of("http://10.0.0.255/"), "http://10.0.0.255/");
  assert_int_equal(U.host_kind, SMV__HOST_IPV4);
  assert_memory_equal(U.ip, "\x0a\x00\x00\xff", 4);

  /* refused, not repaired */
  static const char *const bad[] = {
    "http://a b/", "http://a.example/a b", "http://a.example/\t", " http://a.example/",
    "http://a.example/\\x", "http:\\\\a.example\\", "http://a.example/\xc3\xa9", "http://\xc3\xa9.example/",
    "http://a.example/%", "http://a.example/%4", "http://a.example/%zz", "http://a.example/?%g0",
    "http://a.example/#%", "http://a.example/a{b}", "http://a.example/\"", "http://a|b/",
    "http:a.example", "http:/a.example", "http:///a.example", "http://", "http://:80/",
    "http://@a.example@b.example/", "https://0x7f.1/", "http://0177.0.0.1/", "http://2130706433/",
    "http://127.1/", "http://1.2.3.4.5/", "http://1.2.3.256/", "http://1.2.3.4./", "http://foo.09/",
    "http://foo.0x/", "http://a..b/", "http://.a/", "http://./", "http://ho%2fst/", "http://ho%00st/",
    "http://a%2Eb%C3%A9/", "http://[::1%25eth0]/", "http://[v1.x]/", "http://[::1]x/", "https://a.example:x/",
    "1http://a/", "://a/", "", "http://a.example/\x7f", "myapp://done/\x01",
    "ftp:/a/..//b", "myapp:/.//x"   /* no authority, and the path would start with "//" (RFC 3986 3.3) */
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    if (parse(&U, bad[i]) == 0) fail_msg("accepted %s as %s", bad[i], U.href);
    assert_int_equal(U.href_len, 0);
  }
}

static void test_hosts_limits(void **state) {
  (void)state;
  char h[400], url[500];
  /* a 63-octet label passes, 64 does not */
  memset(h, 'a', 63);
  h[63] = '\0';
  snprintf(url, sizeof url, "http://%s.example/", h);
  assert_int_equal(parse(&U, url), 0);
  memset(h, 'a', 64);
  h[64] = '\0';
  snprintf(url, sizeof url, "http://%s.example/", h);
  assert_int_equal(parse(&U, url), SMV_ERR_URL_PARSE);
  /* 253 octets pass (and 254 with the root dot), 254 do not */
  size_t n = 0;
  while (n < 253) {
    size_t lab = (253 - n >= 50) ? 49 : 253 - n;
    memset(h + n, 'b', lab);
    n += lab;
    if (n < 253) h[n++] = '.';
  }
  h[253] = '\0';
  assert_int_equal(strlen(h), 253);
  snprintf(url, sizeof url, "http://%s/", h);
  assert_int_equal(parse(&U, url), 0);
  snprintf(url, sizeof url, "http://%s./", h);
  assert_int_equal(parse(&U, url), 0);
  snprintf(url, sizeof url, "http://x%s/", h);
  assert_int_equal(parse(&U, url), SMV_ERR_URL_PARSE);
  /* sub-delims are reg-name characters; WHATWG's forbidden host code points are refused */
  assert_string_equal(href_of("http://a-b_c~d!$&'()*+,;=.example/"), "http://a-b_c~d!$&'()*+,;=.example/");
  static const char *const forbidden[] = {"http://a<b/", "http://a>b/", "http://a^b/", "http://a%5Eb/",
                                          "http://a%7Cb/", "http://a%25b/", "http://a%40b/", "http://a%3Ab/"};
  for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++)
    assert_int_equal(parse(&U, forbidden[i]), SMV_ERR_URL_PARSE);
}

static void test_ipv6(void **state) {
  (void)state;
  static const char *const cases[][2] = {
    {"http://[::1]/", "http://[::1]/"},
    {"http://[0:0:0:0:0:0:0:1]/", "http://[::1]/"},
    {"http://[2001:DB8:0:0:0:0:0:1]:8080/", "http://[2001:db8::1]:8080/"},
    {"http://[2001:0db8:0000:0000:0001:0000:0000:0001]/", "http://[2001:db8::1:0:0:1]/"},
    {"http://[2001:db8:0:1:1:1:1:1]/", "http://[2001:db8:0:1:1:1:1:1]/"},   /* one zero group: no "::" */
    {"http://[2001:0:0:1:0:0:0:1]/", "http://[2001:0:0:1::1]/"},            /* the longest run */
    {"http://[1:0:0:2:0:0:3:4]/", "http://[1::2:0:0:3:4]/"},                /* the first of equal runs */
    {"http://[::]/", "http://[::]/"},
    {"http://[1::]/", "http://[1::]/"},
    {"http://[::ffff:192.0.2.1]/", "http://[::ffff:c000:201]/"},
    {"http://[::127.0.0.1]:443/", "http://[::7f00:1]:443/"},
    {"https://[::1]:443/", "https://[::1]/"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) assert_string_equal(href_of(cases[i][0]), cases[i][1]);
  assert_int_equal(parse(&U, "http://[2001:db8::1]/"), 0);
  assert_int_equal(U.host_kind, SMV__HOST_IPV6);
  assert_memory_equal(U.ip, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
  assert_int_equal(U.host.len, 11);   /* the span leaves the brackets out */
  assert_memory_equal(U.href + U.host.off, "2001:db8::1", 11);
  assert_int_equal(U.href[U.host.off - 1], '[');
  static const char *const bad[] = {
    "http://[]/", "http://[:]/", "http://[1:2:3:4:5:6:7:8:9]/", "http://[1::2::3]/", "http://[1:2:3:4:5:6:7:8::]/",
    "http://[12345::]/", "http://[::1.2.3]/", "http://[::1.2.3.04]/", "http://[1:2:3:4:5:6:7:1.2.3.4]/",
    "http://[::1]:80:80/", "http://[::1/", "http://::1/", "http://[g::]/", "http://[1:]/", "http://[:1]/",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    if (parse(&U, bad[i]) == 0) fail_msg("accepted %s as %s", bad[i], U.href);
}

static void test_ports(void **state) {
  (void)state;
  assert_string_equal(href_of("http://a.example:/x"), "http://a.example/x");   /* ":" is no port */
  assert_int_equal(U.port_num, 80);
  assert_int_equal(U.has_port, 0);
  assert_int_equal(parse(&U, "http://a.example:0/"), SMV_ERR_URL_PARSE);        /* nothing listens on 0 */
  assert_string_equal(href_of("http://a.example:65535/"), "http://a.example:65535/");
  assert_int_equal(U.port_num, 65535);
  assert_int_equal(U.has_port, 1);
  assert_int_equal(parse(&U, "http://a.example:65536/"), SMV_ERR_URL_PARSE);
  assert_int_equal(parse(&U, "http://a.example:4294967377/"), SMV_ERR_URL_PARSE);  /* wraps to 81 in 32 bits */
  assert_int_equal(parse(&U, "http://a.example:-1/"), SMV_ERR_URL_PARSE);
  assert_int_equal(parse(&U, "http://a.example:+1/"), SMV_ERR_URL_PARSE);
  assert_int_equal(parse(&U, "http://a.example: 1/"), SMV_ERR_URL_PARSE);
  assert_int_equal(parse(&U, "https://a.example/"), 0);
  assert_int_equal(U.port_num, 443);
  assert_int_equal(parse(&U, "myapp://done/"), 0);
  assert_int_equal(U.port_num, 0);
}

static void test_resolution(void **state) {
  (void)state;
  /* RFC 3986 section 5.4 examples (those that stay valid http URLs) */
  static const char *const rfc[][2] = {
    {"g", "http://a/b/c/g"},           {"./g", "http://a/b/c/g"},       {"g/", "http://a/b/c/g/"},
    {"/g", "http://a/g"},              {"//g", "http://g/"},            {"?y", "http://a/b/c/d;p?y"},
    {"g?y", "http://a/b/c/g?y"},       {"#s", "http://a/b/c/d;p?q#s"},  {"g#s", "http://a/b/c/g#s"},
    {"g?y#s", "http://a/b/c/g?y#s"},   {";x", "http://a/b/c/;x"},       {"g;x", "http://a/b/c/g;x"},
    {"g;x?y#s", "http://a/b/c/g;x?y#s"}, {"", "http://a/b/c/d;p?q"},    {".", "http://a/b/c/"},
    {"./", "http://a/b/c/"},           {"..", "http://a/b/"},           {"../", "http://a/b/"},
    {"../g", "http://a/b/g"},          {"../..", "http://a/"},          {"../../", "http://a/"},
    {"../../g", "http://a/g"},         {"../../../g", "http://a/g"},    {"../../../../g", "http://a/g"},
    {"/./g", "http://a/g"},            {"/../g", "http://a/g"},         {"g.", "http://a/b/c/g."},
    {".g", "http://a/b/c/.g"},         {"g..", "http://a/b/c/g.."},     {"..g", "http://a/b/c/..g"},
    {"./../g", "http://a/b/g"},        {"./g/.", "http://a/b/c/g/"},    {"g/./h", "http://a/b/c/g/h"},
    {"g/../h", "http://a/b/c/h"},      {"g;x=1/./y", "http://a/b/c/g;x=1/y"}, {"g;x=1/../y", "http://a/b/c/y"},
    {"g?y/./x", "http://a/b/c/g?y/./x"}, {"g?y/../x", "http://a/b/c/g?y/../x"},
    {"g#s/./x", "http://a/b/c/g#s/./x"}, {"g#s/../x", "http://a/b/c/g#s/../x"},
    {"HTTPS://B:443/x", "https://b/x"}, {"%2e%2e/g", "http://a/b/g"},
  };
  for (size_t i = 0; i < sizeof(rfc) / sizeof(rfc[0]); i++)
    assert_string_equal(resolve_of("http://a/b/c/d;p?q", rfc[i][0]), rfc[i][1]);
  /* strict parser: "http:g" is an http URL without a host, not a relative one */
  assert_string_equal(resolve_of("http://a/b/c/d;p?q", "http:g"), "ERR");
  assert_string_equal(resolve_of("http://a/b/c/d;p?q", "g:h"), "g:h");
  /* no scheme, and ':' in the first segment: not a URI reference (RFC 3986 4.2), refused; curl 7.88.1
   * took "1a" for a scheme, WHATWG reads a path (found by fuzz_url_curl) */
  static const char *const colon[] = {":23", ":", "::", "1a:b", "1http://a.example/", "-x:y", "a%3A:b", ":/x", ":#f"};
  for (size_t i = 0; i < sizeof(colon) / sizeof(colon[0]); i++)
    if (strcmp(resolve_of("http://a/b/c/d;p?q", colon[i]), "ERR") != 0) fail_msg("resolved %s", colon[i]);
  static const char *const colon_ok[][2] = {
    {"./1a:b", "http://a/b/c/1a:b"}, {"g/h:i", "http://a/b/c/g/h:i"},        {"/x:y", "http://a/x:y"},
    {"?x:y#z:w", "http://a/b/c/d;p?x:y#z:w"}, {"//h:81/x:y", "http://h:81/x:y"}, {"a%3Ab", "http://a/b/c/a%3Ab"},
  };
  for (size_t i = 0; i < sizeof(colon_ok) / sizeof(colon_ok[0]); i++)
    assert_string_equal(resolve_of("http://a/b/c/d;p?q", colon_ok[i][0]), colon_ok[i][1]);
  assert_string_equal(resolve_of("http://a/b", "///x"), "ERR");
  assert_string_equal(resolve_of("http://a/b", "\\\\evil/"), "ERR");
  assert_string_equal(resolve_of("http://a/b", " /x"), "ERR");
  assert_string_equal(resolve_of("http://a/b#frag", ""), "http://a/b");
  assert_string_equal(resolve_of("myapp:done", "x"), "myapp:x");
  assert_string_equal(resolve_of("myapp://done", "x"), "myapp://done/x");
  /* the output may be the base */
  assert_int_equal(parse(&B, "https://a.example/p/q?x#y"), 0);
  assert_int_equal(smv__url_resolve(&B, &B, "../r", 4), 0);
  assert_string_equal(B.href, "https://a.example/r");
}

static void test_target_and_host_header(void **state) {
  (void)state;
  char buf[300];
  assert_int_equal(parse(&U, "https://A.example:8443/p/a%7e?q=1&r#frag"), 0);
  smv__span t = smv__url_target(&U);
  assert_int_equal(t.len, strlen("/p/a~?q=1&r"));
  assert_memory_equal(U.href + t.off, "/p/a~?q=1&r", t.len);
  assert_int_equal(smv__url_href_nofrag_len(&U), strlen("https://a.example:8443/p/a~?q=1&r"));
  assert_int_equal(smv__url_host_header(&U, buf, sizeof buf), strlen("a.example:8443"));
  assert_string_equal(buf, "a.example:8443");
  assert_int_equal(smv__url_host_header(&U, buf, 14), 0);   /* no room for the NUL */
  assert_int_equal(smv__url_host_header(&U, buf, 15), 14);

  /* fragments never reach the target, even empty ones or ones holding '?' */
  static const char *const frag[] = {"http://h/#", "http://h/p#a?b", "http://h/p?#", "http://h#x#", "http://h/?a#b#c"};
  for (size_t i = 0; i < sizeof(frag) / sizeof(frag[0]); i++) {
    if (parse(&U, frag[i]) != 0) continue;   /* "#" inside a fragment is refused */
    t = smv__url_target(&U);
    assert_null(memchr(U.href + t.off, '#', t.len));
    assert_int_equal(U.href[smv__url_href_nofrag_len(&U)], '#');
  }
  assert_int_equal(parse(&U, "http://h/p?#"), 0);
  t = smv__url_target(&U);
  assert_int_equal(t.len, 3);
  assert_memory_equal(U.href + t.off, "/p?", 3);
  assert_int_equal(parse(&U, "http://h/p#a#b"), SMV_ERR_URL_PARSE);

  assert_int_equal(parse(&U, "http://[2001:DB8::1]:8080/"), 0);
  assert_int_equal(smv__url_host_header(&U, buf, sizeof buf), strlen("[2001:db8::1]:8080"));
  assert_string_equal(buf, "[2001:db8::1]:8080");
  assert_int_equal(parse(&U, "https://[::1]:443/x"), 0);
  smv__url_host_header(&U, buf, sizeof buf);
  assert_string_equal(buf, "[::1]");
  assert_int_equal(parse(&U, "http://u:p@Host.Example:80/"), 0);
  smv__url_host_header(&U, buf, sizeof buf);
  assert_string_equal(buf, "host.example");   /* never the userinfo */
  assert_int_equal(parse(&U, "http://192.0.2.1:81/"), 0);
  smv__url_host_header(&U, buf, sizeof buf);
  assert_string_equal(buf, "192.0.2.1:81");
  assert_int_equal(parse(&U, "myapp:done"), 0);
  assert_int_equal(smv__url_host_header(&U, buf, sizeof buf), 0);
}

static void test_same_origin(void **state) {
  (void)state;
  static smv__url a, b;
  assert_int_equal(parse(&a, "https://A.example/x"), 0);
  assert_int_equal(parse(&b, "https://a.example:443/y?z"), 0);
  assert_true(smv__url_same_origin(&a, &b));
  assert_int_equal(parse(&b, "http://a.example/x"), 0);
  assert_false(smv__url_same_origin(&a, &b));
  assert_int_equal(parse(&b, "https://a.example:8443/x"), 0);
  assert_false(smv__url_same_origin(&a, &b));
  assert_int_equal(parse(&b, "https://b.example/x"), 0);
  assert_false(smv__url_same_origin(&a, &b));
  assert_int_equal(parse(&a, "http://a.example:443/"), 0);
  assert_int_equal(parse(&b, "https://a.example/"), 0);
  assert_false(smv__url_same_origin(&a, &b));
  assert_int_equal(parse(&a, "myapp:done"), 0);
  assert_int_equal(parse(&b, "myapp:done"), 0);
  assert_false(smv__url_same_origin(&a, &b));   /* opaque origins */
}

static void test_return_url(void **state) {
  (void)state;
  assert_true(matches("myapp://done", "myapp://done"));
  assert_true(matches("MYAPP://DONE", "myapp://done"));
  assert_true(matches("myapp://done?token=abc#x", "myapp://done"));
  assert_true(matches("myapp://done#x", "myapp://done"));
  assert_false(matches("myapp://done.evil", "myapp://done"));
  assert_false(matches("myapp://done:1", "myapp://done"));
  assert_false(matches("myapp:done", "myapp://done"));
  assert_false(matches("myapp://done", "myapp:done"));
  assert_true(matches("myapp:done?x", "myapp:done"));
  assert_false(matches("myapp:done/x", "myapp:done"));
  assert_false(matches("myapp://done/", "myapp://done"));   /* path exact: "" is not "/" */
  assert_false(matches("myapp://evil@done", "myapp://done"));
  assert_false(matches("otherapp://done", "myapp://done"));
  assert_false(matches("myapp://evil/done", "myapp://done"));

  const char *r = "https://app.example.com/verified";
  assert_true(matches("https://app.example.com/verified", r));
  assert_true(matches("HTTPS://APP.EXAMPLE.COM:443/verified?code=1#top", r));
  assert_false(matches("https://app.example.com.evil/verified", r));
  assert_false(matches("https://app.example.com.evil/", "https://app.example.com/"));
  assert_false(matches("https://evil.example/https://app.example.com/verified", r));
  assert_false(matches("https://app.example.com/Verified", r));        /* path is case-sensitive */
  assert_false(matches("https://app.example.com/verified/", r));
  assert_false(matches("https://app.example.com/verifiedx", r));
  assert_false(matches("https://app.example.com:8443/verified", r));
  assert_false(matches("http://app.example.com/verified", r));
  assert_false(matches("https://app.example.com/verified", "https://app.example.com:8443/verified"));
  assert_true(matches("https://app.example.com", "https://app.example.com/"));   /* http(s) "" is "/" */

  /* a returnUrl with a query matches only the same query (and a fragment then) */
  const char *rq = "https://app.example.com/cb?flow=1";
  assert_true(matches("https://app.example.com/cb?flow=1", rq));
  assert_true(matches("https://app.example.com/cb?flow=1#f", rq));
  assert_false(matches("https://app.example.com/cb?flow=2", rq));
  assert_false(matches("https://app.example.com/cb?flow=1&x=2", rq));
  assert_false(matches("https://app.example.com/cb", rq));
  assert_true(matches("https://app.example.com/cb?flow=%31", rq));   /* equal once normalised */
}

static void test_limits(void **state) {
  (void)state;
  static char big[SMV__URL_MAX + 16];
  const char *pre = "https://a.example/";
  size_t pl = strlen(pre);
  memcpy(big, pre, pl);
  /* exactly SMV__URL_MAX - 1 bytes fits (the NUL makes SMV__URL_MAX) */
  memset(big + pl, 'x', SMV__URL_MAX - 1 - pl);
  assert_int_equal(smv__url_parse(&U, big, SMV__URL_MAX - 1), 0);
  assert_int_equal(U.href_len, SMV__URL_MAX - 1);
  assert_int_equal(U.href[SMV__URL_MAX - 1], '\0');
  /* one more is refused cleanly, and so is much more */
  memset(big + pl, 'x', sizeof(big) - pl);
  assert_int_equal(smv__url_parse(&U, big, SMV__URL_MAX), SMV_ERR_URL_PARSE);
  assert_int_equal(U.href_len, 0);
  assert_int_equal(smv__url_parse(&U, big, sizeof big), SMV_ERR_URL_PARSE);
  /* an input that only grows past the limit through normalisation ("" -> "/") */
  memcpy(big, "http://", 7);
  memset(big + 7, 'a', SMV__URL_MAX - 1 - 7);
  assert_int_equal(smv__url_parse(&U, big, SMV__URL_MAX - 1), SMV_ERR_URL_PARSE);
  /* resolution whose result outgrows the limit */
  assert_int_equal(parse(&B, "https://a.example/dir/"), 0);
  memset(big, 'y', SMV__URL_MAX - 10);
  assert_int_equal(smv__url_resolve(&U, &B, big, SMV__URL_MAX - 10), SMV_ERR_URL_PARSE);
  assert_int_equal(smv__url_resolve(&U, &B, big, 20), 0);
  /* NULs are refused, not taken as the end */
  assert_int_equal(smv__url_parse(&U, "http://a\0b/", 11), SMV_ERR_URL_PARSE);
  assert_int_equal(smv__url_parse(&U, NULL, 0), SMV_ERR_URL_PARSE);
}

/* ---- external suites: loading ---------------------------------------------------------------------- */

/* cJSON ends strings at NUL, and WPT has inputs with U+0000 in them. Before parsing, "\u0000" escapes
 * are turned into U+10FFFF (absent from the files, checked), which str_of turns back into a 0 byte. */
static const char MARK[] = "\xf4\x8f\xbf\xbf";

static cJSON *load_json(const char *name) {
  size_t len;
  char *raw = smv_test_read_testdata(name, &len);
  long n = (long)len;
  char *txt = malloc(len * 2 + 1);
  assert_non_null(txt);
  assert_null(strstr(raw, MARK));
  size_t o = 0;
  for (long i = 0; i < n; i++) {
    if (raw[i] == '\\' && i + 1 < n) {
      if (strncmp(raw + i, "\\u0000", 6) == 0) {
        memcpy(txt + o, "\\uDBFF\\uDFFF", 12);
        o += 12;
        i += 5;
      } else {
        txt[o++] = raw[i];
        txt[o++] = raw[++i];
      }
    } else {
      txt[o++] = raw[i];
    }
  }
  txt[o] = '\0';
  cJSON *j = cJSON_Parse(txt);
  if (!j) fail_msg("%s is not valid JSON", name);
  free(raw);
  free(txt);
  return j;
}

/* The string with MARKs turned back into NULs; *len its length. NULL if not a string. */
static const char *str_of(const cJSON *o, const char *key, char *buf, size_t cap, size_t *len) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!cJSON_IsString(v)) return NULL;
  const char *s = v->valuestring;
  size_t n = 0;
  while (*s) {
    if (strncmp(s, MARK, 4) == 0) {
      s += 4;
      if (n < cap) buf[n++] = '\0';
    } else if (n < cap) {
      buf[n++] = *s++;
    } else {
      s++;
    }
  }
  assert_true(n < cap);
  buf[n] = '\0';
  if (len) *len = n;
  return buf;
}

static int is_http_text(const char *s) {
  return strncasecmp(s, "http:", 5) == 0 || strncasecmp(s, "https:", 6) == 0;
}

/* ---- WPT: deliberate differences ---------------------------------------------------------------------
 * Each rule (helpers/url_rules.h, shared with the lib1560 suite and the fuzz target fuzz_url_curl) is
 * a property of the case, and what we must do then: refuse it, or give the href that WPT gives once our
 * own normalisation is applied to it. A case that differs from WPT is accepted as deliberate only if a
 * rule explains it; the test fails otherwise. */

typedef struct wcase {
  const char *input;
  size_t input_len;
  const char *base;      /* NULL: none */
  const char *href;      /* WPT's */
  const char *hostname;  /* WPT's */
  const char *port;      /* WPT's */
  int ok;                /* our result */
  const char *ours;      /* our href when ok */
} wcase;

/* WPT's host is an IPv4 address that the input writes in another form (hex, octal, fewer parts,
 * a trailing dot, percent-encoded) */
static int r_ipv4_form(const wcase *c) {
  return smv_url_is_dotted_quad(c->hostname) && smv_url_ipv4_other_form(c->input, c->input_len, c->hostname);
}

/* port 0: WHATWG keeps it, we refuse a port nothing can listen on */
static int r_port_zero(const wcase *c) { return c->port && strcmp(c->port, "0") == 0; }

/* "#" inside the base's fragment (the input's own is a byte rule) */
static int r_hash_in_base(const wcase *c) { return c->base && smv_url_hash_in_fragment(c->base, strlen(c->base)); }

/* an empty DNS label ("http://./", "http://a..b/"): WHATWG keeps it, no resolver can look it up */
static int r_empty_label(const wcase *c) {
  const char *h = c->hostname;
  return h && (h[0] == '.' || strstr(h, "..") != NULL);
}

/* Normalisation rules compare transform(pct-normalised WPT href) with transform(our href). */
static void t_identity(char *s) { (void)s; }

/* drops "userinfo@" from an href */
static void t_strip_userinfo(char *s) {
  char *a = strstr(s, "://");
  if (!a) return;
  a += 3;
  size_t n = strcspn(a, "/?#");
  char *at = NULL;
  for (size_t i = 0; i < n; i++)
    if (a[i] == '@') at = a + i;
  if (at) memmove(a, at + 1, strlen(at + 1) + 1);
}

/* "%27" -> "'" (WHATWG escapes ' in the query of special URLs; it is a sub-delim in RFC 3986) */
static void t_unescape_quote(char *s) {
  char *p;
  while ((p = strstr(s, "%27")) != NULL) {
    *p = '\'';
    memmove(p + 1, p + 3, strlen(p + 3) + 1);
  }
}

typedef struct rule {
  smv_url_rule id;                 /* name and reason: smv_url_rules[id] */
  int (*applies)(const wcase *c);  /* we must refuse such a case */
} rule;

/* after the byte rules (smv_url_byte_rule), the ones that need WPT's answer */
static const rule wpt_rules[] = {
  {SMV_URL_R_IPV4_FORM, r_ipv4_form},
  {SMV_URL_R_PORT_ZERO, r_port_zero},
  {SMV_URL_R_HASH_IN_FRAGMENT, r_hash_in_base},
  {SMV_URL_R_DNS_NAME, r_empty_label},
};

static smv_url_rule wpt_refusal(const wcase *c) {
  smv_url_rule r = smv_url_byte_rule(c->input, c->input_len);
  for (size_t i = 0; r == SMV_URL_R_COUNT && i < sizeof(wpt_rules) / sizeof(wpt_rules[0]); i++)
    if (wpt_rules[i].applies(c)) r = wpt_rules[i].id;
  return r;
}

typedef struct nrule {
  smv_url_rule id;
  void (*transform)(char *href);
} nrule;

static const nrule wpt_norm_rules[] = {
  {SMV_URL_R_PCT_CASE, t_identity},
  {SMV_URL_R_USERINFO_KEPT, t_strip_userinfo},
  {SMV_URL_R_QUOTE_IN_QUERY, t_unescape_quote},
};

static int norm_explains(const nrule *r, const wcase *c) {
  static char w[SMV__URL_MAX * 2], o[SMV__URL_MAX];
  smv_url_normalise_pct(c->href, w, sizeof w);
  snprintf(o, sizeof o, "%s", c->ours);
  r->transform(w);
  r->transform(o);
  return strcmp(w, o) == 0;
}

#define NNORM (sizeof(wpt_norm_rules) / sizeof(wpt_norm_rules[0]))

static void test_wpt_suite(void **state) {
  (void)state;
  cJSON *root = load_json("wpt-urltestdata-http-subset.json");
  static char in[SMV__URL_MAX], base[SMV__URL_MAX], href[SMV__URL_MAX], host[1024], port[64], ours[SMV__URL_MAX];
  size_t run = 0, matched = 0, refused_ok = 0, different = 0, skipped = 0, bad = 0, other_scheme = 0;
  size_t per_rule[SMV_URL_R_COUNT] = {0}, per_norm[NNORM] = {0};
  const cJSON *it;
  cJSON_ArrayForEach(it, root) {
    if (!cJSON_IsObject(it)) continue;   /* comments */
    wcase c;
    memset(&c, 0, sizeof c);
    c.input = str_of(it, "input", in, sizeof in, &c.input_len);
    c.base = str_of(it, "base", base, sizeof base, NULL);
    c.href = str_of(it, "href", href, sizeof href, NULL);
    c.hostname = str_of(it, "hostname", host, sizeof host, NULL);
    c.port = str_of(it, "port", port, sizeof port, NULL);
    int failure = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "failure"));
    /* scope: an http(s) base (or none); success cases whose result is http(s); every failure case (we
     * must refuse whatever WHATWG refuses, http or not) */
    if (!c.input || (c.base && !is_http_text(c.base))) {
      if (getenv("SMV_TEST_VERBOSE")) print_message("WPT out of scope: \"%s\" base \"%s\"\n", c.input, c.base ? c.base : "");
      skipped++;
      continue;
    }
    if (!failure && !(c.href && is_http_text(c.href))) {
      /* A reference to another scheme (mailto:, javascript:, ftp:, an app's own): what matters to the
       * redirect policy is that it is refused or comes out as a non-http URL of that scheme, which is
       * then never fetched (only a returnUrl match may end the flow on it). */
      const cJSON *proto = cJSON_GetObjectItemCaseSensitive(it, "protocol");
      int rc = c.base ? (smv__url_parse(&B, c.base, strlen(c.base)) == 0 ? smv__url_resolve(&U, &B, c.input, c.input_len) : -1)
                      : smv__url_parse(&U, c.input, c.input_len);
      if (rc == 0 && (U.is_http || !cJSON_IsString(proto) ||
                      strncasecmp(U.href + U.scheme.off, proto->valuestring, U.scheme.len) != 0 ||
                      proto->valuestring[U.scheme.len] != ':')) {
        print_message("WPT other-scheme case: \"%s\" gave %s (WPT %s)\n", c.input, U.href, c.href ? c.href : "");
        bad++;
      }
      other_scheme++;
      continue;
    }
    run++;
    if (c.base) {
      c.ok = smv__url_parse(&B, c.base, strlen(c.base)) == 0 &&
             smv__url_resolve(&U, &B, c.input, c.input_len) == 0;
    } else {
      c.ok = smv__url_parse(&U, c.input, c.input_len) == 0;
    }
    if (c.ok) {
      memcpy(ours, U.href, U.href_len + 1);
      c.ours = ours;
    }
    if (failure) {
      if (c.ok) {
        print_message("WPT failure case accepted: input \"%s\" base \"%s\" -> %s\n", c.input, c.base ? c.base : "",
                      c.ours);
        bad++;
      } else {
        refused_ok++;
        matched++;
      }
      continue;
    }
    if (c.ok && strcmp(c.ours, c.href) == 0) {
      matched++;
      continue;
    }
    int explained = 0;
    if (!c.ok) {
      smv_url_rule r = wpt_refusal(&c);
      if (r != SMV_URL_R_COUNT) {
        per_rule[r]++;
        explained = 1;
      }
    } else {
      for (size_t r = 0; r < NNORM && !explained; r++)
        if (norm_explains(&wpt_norm_rules[r], &c)) {
          per_norm[r]++;
          explained = 1;
        }
    }
    if (explained) {
      different++;
    } else {
      print_message("WPT unexplained: input \"%s\" base \"%s\": WPT %s, ours %s\n", c.input, c.base ? c.base : "",
                    c.href, c.ok ? c.ours : "(refused)");
      bad++;
    }
  }
  print_message("WPT http(s) subset: %zu cases run (%zu out of scope), %zu matched (%zu of them failure cases "
                "refused), %zu deliberately different, %zu unexplained; %zu references to other schemes refused "
                "or kept non-http\n",
                run, skipped, matched, refused_ok, different, bad, other_scheme);
  for (size_t r = 0; r < SMV_URL_R_COUNT; r++)
    if (per_rule[r]) print_message("  refuse %-22s %3zu  (%s)\n", smv_url_rules[r].name, per_rule[r], smv_url_rules[r].why);
  for (size_t r = 0; r < NNORM; r++)
    print_message("  differ %-22s %3zu  (%s)\n", smv_url_rules[wpt_norm_rules[r].id].name, per_norm[r],
                  smv_url_rules[wpt_norm_rules[r].id].why);
  cJSON_Delete(root);
  assert_true(run > 300);
  assert_int_equal(matched + different, run);
  assert_int_equal(bad, 0);
}

/* ---- curl lib1560: deliberate differences ---------------------------------------------------------- */

typedef struct ccase {
  const char *base, *location, *expected, *setflags;
  int ok;
  const char *ours;
} ccase;

static int c_backslash(const ccase *c) { return smv_url_has_backslash(c->location, strlen(c->location)); }
static int c_bad_percent(const ccase *c) {
  return smv_url_bad_percent(c->location, strlen(c->location)) || smv_url_bad_percent(c->base, strlen(c->base));
}
static int c_three_slashes(const ccase *c) { return smv_url_three_slashes(c->location, strlen(c->location)); }
static int c_no_authority(const ccase *c) { return strstr(c->setflags, "CURLU_NO_AUTHORITY") != NULL; }
static int c_colon_segment(const ccase *c) { return smv_url_colon_segment(c->location, strlen(c->location)); }

/* curl keeps an explicit default port; we drop it (RFC 3986 6.2.3) */
static void ct_drop_default_port(char *s) {
  const char *sch = strncmp(s, "https://", 8) == 0 ? "https://" : strncmp(s, "http://", 7) == 0 ? "http://" : NULL;
  if (!sch) return;
  const char *dp = sch[4] == 's' ? ":443" : ":80";
  char *a = s + strlen(sch);
  size_t n = strcspn(a, "/?#");
  char *p = a + n - strlen(dp);
  if (n > strlen(dp) && strncmp(p, dp, strlen(dp)) == 0) memmove(p, a + n, strlen(a + n) + 1);
}

/* curl drops the "localhost" host of file URLs (RFC 8089); RFC 3986 keeps the authority as it is */
static void ct_file_localhost(char *s) {
  if (strncmp(s, "file://localhost/", 17) == 0) memmove(s + 7, s + 16, strlen(s + 16) + 1);
}

typedef struct crule {
  smv_url_rule id;                       /* name and reason: smv_url_rules[id] */
  int (*applies)(const ccase *c);        /* refusal rules: we must refuse such a case */
  void (*transform)(char *href);         /* normalisation rules: equal after transforming both */
} crule;

static const crule curl_rules[] = {
  {SMV_URL_R_BACKSLASH, c_backslash, NULL},
  {SMV_URL_R_BAD_PERCENT, c_bad_percent, NULL},
  {SMV_URL_R_THREE_SLASHES, c_three_slashes, NULL},
  {SMV_URL_R_EMPTY_HOST, c_no_authority, NULL},
  {SMV_URL_R_COLON_SEGMENT, c_colon_segment, NULL},
  {SMV_URL_R_DEFAULT_PORT, NULL, ct_drop_default_port},
  {SMV_URL_R_FILE_LOCALHOST, NULL, ct_file_localhost},
};
#define NCRULES (sizeof(curl_rules) / sizeof(curl_rules[0]))

static void test_curl_suite(void **state) {
  (void)state;
  cJSON *root = load_json("curl-lib1560-redirect-cases.json");
  const cJSON *cases = cJSON_GetObjectItemCaseSensitive(root, "cases");
  assert_true(cJSON_IsArray(cases));
  static char base[SMV__URL_MAX], loc[SMV__URL_MAX], exp[SMV__URL_MAX], flags[256], ours[SMV__URL_MAX];
  static char a[SMV__URL_MAX], b[SMV__URL_MAX];
  size_t run = 0, matched = 0, different = 0, bad = 0, per[NCRULES] = {0};
  const cJSON *it;
  cJSON_ArrayForEach(it, cases) {
    ccase c;
    size_t loclen = 0;
    memset(&c, 0, sizeof c);
    c.base = str_of(it, "base", base, sizeof base, NULL);
    c.location = str_of(it, "location", loc, sizeof loc, &loclen);
    c.expected = str_of(it, "expected", exp, sizeof exp, NULL);
    c.setflags = str_of(it, "setflags", flags, sizeof flags, NULL);
    const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "code"));
    assert_non_null(c.base);
    assert_non_null(c.location);
    assert_non_null(code);
    if (!c.setflags) c.setflags = "";
    int curl_ok = strcmp(code, "CURLUE_OK") == 0;
    run++;
    c.ok = smv__url_parse(&B, c.base, strlen(c.base)) == 0 && smv__url_resolve(&U, &B, c.location, loclen) == 0;
    if (c.ok) {
      memcpy(ours, U.href, U.href_len + 1);
      c.ours = ours;
    }
    if (curl_ok ? (c.ok && c.expected && strcmp(c.ours, c.expected) == 0) : !c.ok) {
      matched++;
      continue;
    }
    int explained = 0;
    for (size_t r = 0; r < NCRULES && !explained; r++) {
      const crule *cr = &curl_rules[r];
      if (cr->applies && !c.ok && cr->applies(&c)) explained = 1;
      if (cr->transform && c.ok && curl_ok && c.expected) {
        snprintf(a, sizeof a, "%s", c.expected);
        snprintf(b, sizeof b, "%s", c.ours);
        cr->transform(a);
        cr->transform(b);
        explained = strcmp(a, b) == 0;
      }
      if (explained) per[r]++;
    }
    if (explained) {
      different++;
    } else {
      print_message("curl unexplained: base \"%s\" location \"%s\": curl %s %s, ours %s\n", c.base, c.location, code,
                    c.expected ? c.expected : "", c.ok ? c.ours : "(refused)");
      bad++;
    }
  }
  print_message("curl lib1560 redirects: %zu cases run, %zu matched, %zu deliberately different, %zu unexplained\n",
                run, matched, different, bad);
  for (size_t r = 0; r < NCRULES; r++)
    print_message("  %s %-22s %3zu  (%s)\n", curl_rules[r].applies ? "refuse" : "differ",
                  smv_url_rules[curl_rules[r].id].name, per[r], smv_url_rules[curl_rules[r].id].why);
  cJSON_Delete(root);
  assert_true(run > 50);
  assert_int_equal(matched + different, run);
  assert_int_equal(bad, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_normalisation),
    cmocka_unit_test(test_hosts_limits),
    cmocka_unit_test(test_ipv6),
    cmocka_unit_test(test_ports),
    cmocka_unit_test(test_resolution),
    cmocka_unit_test(test_target_and_host_header),
    cmocka_unit_test(test_same_origin),
    cmocka_unit_test(test_return_url),
    cmocka_unit_test(test_limits),
    cmocka_unit_test(test_wpt_suite),
    cmocka_unit_test(test_curl_suite),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
