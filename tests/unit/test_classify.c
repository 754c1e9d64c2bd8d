/* The classifier and the chooser against recorded interface layouts (tests/data/paths, one JSON file each): each
 * file carries its expected classes, strongest evidence and verdicts, so a new layout is a new file.
 * The explicit cases below pin the rules the recordings exercise. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "platform.h"

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  if (buf) buf[n] = '\0';
  fclose(f);
  return buf;
}

static const char *data_dir(void) {
  const char *d = getenv("SMV_DATA");
  return d ? d : "tests/data";
}

static void load(const char *name, smv__snapshot *snap, cJSON **doc) {
  char path[1024];
  snprintf(path, sizeof(path), "%s/paths/%s", data_dir(), name);
  char *text = slurp(path);
  if (!text) fail_msg("cannot read %s", path);
  assert_int_equal(smv__snapshot_from_json(text, snap), SMV_OK);
  if (doc) *doc = cJSON_Parse(text);
  free(text);
}

static int index_of(const smv__snapshot *s, const char *name) {
  for (size_t i = 0; i < s->count; i++)
    if (strcmp(s->paths[i].name, name) == 0) return (int)i;
  return -1;
}

static void check_layout(const char *file) {
  smv__snapshot snap;
  cJSON *doc = NULL;
  load(file, &snap, &doc);
  assert_non_null(doc);
  const cJSON *expect = cJSON_GetObjectItem(doc, "expect"), *e;
  assert_non_null(expect);

  cJSON_ArrayForEach(e, cJSON_GetObjectItem(expect, "classes")) {
    int i = index_of(&snap, e->string);
    if (i < 0) fail_msg("%s: no interface %s", file, e->string);
    smv__classification c;
    smv__path_classify(&snap, (size_t)i, &c);
    if (strcmp(smv_path_class_name(c.cls), e->valuestring) != 0)
      fail_msg("%s: %s is %s, want %s (%s)", file, e->string, smv_path_class_name(c.cls), e->valuestring,
               c.evidence[0]);
    for (size_t k = 1; k < c.nevidence; k++) assert_true(c.strength[k - 1] >= c.strength[k]);
  }
  cJSON_ArrayForEach(e, cJSON_GetObjectItem(expect, "evidence")) {
    int i = index_of(&snap, e->string);
    assert_true(i >= 0);
    smv__classification c;
    smv__path_classify(&snap, (size_t)i, &c);
    /* The expected fact must be the strongest evidence: it is what decided. */
    if (!strstr(c.evidence[0], e->valuestring))
      fail_msg("%s: %s strongest evidence \"%s\", want \"%s\"", file, e->string, c.evidence[0], e->valuestring);
  }
  cJSON_ArrayForEach(e, cJSON_GetObjectItem(expect, "verdicts")) {
    const cJSON *ifc = cJSON_GetObjectItem(e, "interface"), *chosen = cJSON_GetObjectItem(e, "chosen");
    const cJSON *has = cJSON_GetObjectItem(e, "evidence_has");
    smv__choose_opts o = {.interface = cJSON_IsString(ifc) ? ifc->valuestring : NULL,
                          .declared_carrier = cJSON_IsTrue(cJSON_GetObjectItem(e, "declared")),
                          .allow_vpn_bypass = cJSON_IsTrue(cJSON_GetObjectItem(e, "allow_vpn_bypass"))};
    smv__verdict v;
    int rc = smv__path_choose(&snap, &o, &v);
    assert_int_equal(rc, v.err);
    const char *want = cJSON_GetObjectItem(e, "err")->valuestring;
    if (strcmp(smv_errname(rc), want) != 0)
      fail_msg("%s: interface %s declared %d: %s, want %s (%s)", file, o.interface ? o.interface : "(auto)",
               o.declared_carrier, smv_errname(rc), want, v.evidence);
    if (cJSON_IsString(chosen)) {
      assert_int_equal(rc, SMV_OK);
      assert_string_equal(v.path.name, chosen->valuestring);
      assert_int_equal(v.declared, o.declared_carrier);
      assert_true(v.index >= 0);
    }
    assert_true(v.evidence[0] != '\0');
    if (cJSON_IsString(has) && !strstr(v.evidence, has->valuestring))
      fail_msg("%s: verdict evidence \"%s\" does not mention \"%s\"", file, v.evidence, has->valuestring);
  }
  cJSON_Delete(doc);
}

static void test_recorded_layouts(void **state) {
  (void)state;
  char dir[1024];
  snprintf(dir, sizeof(dir), "%s/paths", data_dir());
  DIR *d = opendir(dir);
  assert_non_null(d);
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    size_t len = strlen(de->d_name);
    if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0) continue;
    check_layout(de->d_name);
    n++;
  }
  closedir(d);
  assert_true(n >= 15); /* every layout the issue names is recorded */
}

static smv_path_class class_of(const smv__snapshot *s, const char *name) {
  smv__classification c;
  int i = index_of(s, name);
  assert_true(i >= 0);
  smv__path_classify(s, (size_t)i, &c);
  return c.cls;
}

static void test_clat_follows_its_base(void **state) {
  (void)state;
  smv__snapshot s;
  load("xlat464.json", &s, NULL);
  assert_int_equal(class_of(&s, "v4-rmnet_data0"), SMV_PATH_CELLULAR);
  /* A CLAT over WiFi is WiFi. */
  snprintf(s.paths[1].name, sizeof(s.paths[1].name), "wlan0");
  s.paths[1].wireless = 1;
  smv__path saved_base = s.paths[1];
  s.paths[1].kind[0] = '\0';
  s.paths[1].arphrd = 1;
  snprintf(s.paths[2].name, sizeof(s.paths[2].name), "v4-wlan0");
  assert_int_equal(class_of(&s, "v4-wlan0"), SMV_PATH_WIFI);
  /* Without its base, or with a VPN's address instead of clatd's 192.0.0.4, the name proves nothing. */
  snprintf(s.paths[2].name, sizeof(s.paths[2].name), "v4-rmnet_data0");
  assert_int_equal(class_of(&s, "v4-rmnet_data0"), SMV_PATH_VPN);
  s.paths[1] = saved_base;
  snprintf(s.paths[1].name, sizeof(s.paths[1].name), "rmnet_data0");
  s.paths[1].wireless = 0;
  assert_int_equal(class_of(&s, "v4-rmnet_data0"), SMV_PATH_CELLULAR);
  smv__addr_parse("10.8.0.2/24", &s.paths[2].addrs[0]);
  assert_int_equal(class_of(&s, "v4-rmnet_data0"), SMV_PATH_VPN);
}

static void test_hotspot_gateway_outranks_wifi(void **state) {
  (void)state;
  smv__snapshot s;
  load("laptop_android_hotspot.json", &s, NULL);
  assert_int_equal(class_of(&s, "wlan0"), SMV_PATH_TETHERED);
  smv__addr_parse("192.168.1.1", &s.paths[1].gateway4); /* an ordinary home router */
  assert_int_equal(class_of(&s, "wlan0"), SMV_PATH_WIFI);
  smv__choose_opts o = {0};
  smv__verdict v;
  assert_int_equal(smv__path_choose(&s, &o, &v), SMV_ERR_NO_CARRIER_PATH);
  assert_non_null(strstr(v.evidence, "wlan0 (wifi)"));
}

static void test_never_falls_back(void **state) {
  (void)state;
  smv__snapshot s;
  load("android_phone.json", &s, NULL);
  smv__verdict v;
  /* The named cellular interface goes down: the answer is an error, not the WiFi that is up. */
  s.paths[1].flags &= ~0x1u;
  smv__choose_opts named = {.interface = "rmnet_data0"};
  assert_int_equal(smv__path_choose(&s, &named, &v), SMV_ERR_PATH_DOWN);
  assert_int_equal(v.index, 1);
  smv__choose_opts any = {0};
  assert_int_equal(smv__path_choose(&s, &any, &v), SMV_ERR_PATH_DOWN);
  assert_non_null(strstr(v.evidence, "administratively down"));
  /* A declared carrier that is down is down too. */
  smv__choose_opts decl = {.interface = "rmnet_data0", .declared_carrier = 1};
  assert_int_equal(smv__path_choose(&s, &decl, &v), SMV_ERR_PATH_DOWN);
}

static void test_names_are_weak(void **state) {
  (void)state;
  smv__snapshot s;
  load("android_phone.json", &s, NULL);
  /* A WiFi radio renamed to look like a modem is still WiFi. */
  snprintf(s.paths[2].name, sizeof(s.paths[2].name), "rmnet_data9");
  smv__classification c;
  smv__path_classify(&s, 2, &c);
  assert_int_equal(c.cls, SMV_PATH_WIFI);
  char all[512];
  smv__classification_text(&c, all, sizeof(all));
  assert_non_null(strstr(all, "name rmnet_data9"));
  /* A namespace veth called rmnet_data0 (the harness) is cellular by name, and says it is a veth. */
  smv__path *p = &s.paths[1];
  snprintf(p->kind, sizeof(p->kind), "veth");
  p->arphrd = 1;
  smv__path_classify(&s, 1, &c);
  assert_int_equal(c.cls, SMV_PATH_CELLULAR);
  char text[512];
  smv__classification_text(&c, text, sizeof(text));
  assert_non_null(strstr(text, "veth"));
}

static void test_declared_needs_a_name(void **state) {
  (void)state;
  smv__snapshot s;
  load("ethernet_only.json", &s, NULL);
  smv__choose_opts o = {.declared_carrier = 1};
  smv__verdict v;
  assert_int_equal(smv__path_choose(&s, &o, &v), SMV_ERR_INVALID_ARG);
}

/* The platform's configured carrier interface (the modem platform's WAN): chosen as the platform's
 * declaration (cellular, not "declared" by the user), whatever it looks like; with configured_only,
 * nothing is ever discovered. */
static void test_configured_interface(void **state) {
  (void)state;
  smv__snapshot s;
  load("ethernet_only.json", &s, NULL);
  const char *eth = s.paths[1].name;
  smv__choose_opts o = {.configured_only = 1, .platform = "modem"};
  snprintf(o.configured, sizeof(o.configured), "%s", eth);
  smv__verdict v;
  assert_int_equal(smv__path_choose(&s, &o, &v), SMV_OK);
  assert_string_equal(v.path.name, eth);
  assert_int_equal(v.cls, SMV_PATH_CELLULAR);
  assert_int_equal(v.declared, 0);
  assert_non_null(strstr(v.evidence, "configured WAN interface (modem platform): "));
  assert_null(strstr(v.evidence, "--carrier"));
  /* configured but down: refused, never something else */
  s.paths[1].flags &= ~0x1u;
  assert_int_equal(smv__path_choose(&s, &o, &v), SMV_ERR_PATH_DOWN);
  assert_non_null(strstr(v.evidence, "configured carrier"));
  s.paths[1].flags |= 0x1u;
  /* nothing configured on a configured-only platform */
  o.configured[0] = '\0';
  assert_int_equal(smv__path_choose(&s, &o, &v), SMV_ERR_NO_CARRIER_PATH);
  assert_non_null(strstr(v.evidence, "modem platform: no WAN interface configured"));
  /* an interface the user names goes through the usual rules */
  snprintf(o.configured, sizeof(o.configured), "%s", eth);
  o.interface = "lo";
  assert_int_equal(smv__path_choose(&s, &o, &v), SMV_ERR_PATH_NOT_CELLULAR);
  o.declared_carrier = 1;
  assert_int_equal(smv__path_choose(&s, &o, &v), SMV_OK);
  assert_int_equal(v.declared, 1);
  /* naming the configured one is the configured one */
  smv__choose_opts same = {.interface = eth, .configured_only = 1};
  snprintf(same.configured, sizeof(same.configured), "%s", eth);
  assert_int_equal(smv__path_choose(&s, &same, &v), SMV_OK);
  assert_int_equal(v.cls, SMV_PATH_CELLULAR);
  assert_int_equal(v.declared, 0);
}

/* An IPv6-only cellular path reaches IPv4 through its CLAT (464XLAT): the verdict carries it as part
 * of the same path; a path with IPv4 of its own, or a declared one, gets none. */
static void test_clat_attached(void **state) {
  (void)state;
  smv__snapshot s;
  load("xlat464.json", &s, NULL);
  smv__choose_opts o = {.interface = NULL};
  smv__verdict v;
  assert_int_equal(smv__path_choose(&s, &o, &v), SMV_OK);
  assert_string_equal(v.path.name, "rmnet_data0");
  assert_true(v.has_clat);
  assert_string_equal(v.clat.name, "v4-rmnet_data0");
  assert_true(smv__path_has_clat_addr(&v.clat));
  assert_false(smv__path_has_family(&v.path, AF_INET));
  assert_non_null(strstr(v.evidence, "IPv4 through its CLAT v4-rmnet_data0 (192.0.0.4, 464XLAT)"));
  /* the CLAT down: no CLAT, the path is still chosen (IPv6 works; IPv4 then needs NAT64) */
  int ci = -1;
  for (size_t i = 0; i < s.count; i++) if (!strcmp(s.paths[i].name, "v4-rmnet_data0")) ci = (int)i;
  assert_true(ci >= 0);
  s.paths[ci].flags &= ~0x1u;
  assert_int_equal(smv__path_choose(&s, &o, &v), SMV_OK);
  assert_false(v.has_clat);
  s.paths[ci].flags |= 0x1u;
  /* rmnet_data0 with an IPv4 address of its own needs no CLAT */
  int ri = -1;
  for (size_t i = 0; i < s.count; i++) if (!strcmp(s.paths[i].name, "rmnet_data0")) ri = (int)i;
  smv__path saved = s.paths[ri];
  smv__addr_parse("100.64.0.2/30", &s.paths[ri].addrs[s.paths[ri].naddrs++]);
  assert_int_equal(smv__path_choose(&s, &o, &v), SMV_OK);
  assert_false(v.has_clat);
  s.paths[ri] = saved;
  /* a declared carrier is the user's: nothing is attached to it */
  smv__choose_opts decl = {.interface = "rmnet_data0", .declared_carrier = 1};
  assert_int_equal(smv__path_choose(&s, &decl, &v), SMV_OK);
  assert_false(v.has_clat);
}

static void test_json_round_trip(void **state) {
  (void)state;
  smv__snapshot a, b;
  load("android_app.json", &a, NULL);
  char *text = smv__snapshot_to_json(&a);
  assert_non_null(text);
  assert_int_equal(smv__snapshot_from_json(text, &b), SMV_OK);
  cJSON_free(text);
  assert_int_equal(a.count, b.count);
  for (size_t i = 0; i < a.count; i++) assert_memory_equal(&a.paths[i], &b.paths[i], sizeof(smv__path));
  assert_int_equal(b.paths[1].net_handle, 429492141790ull);
  assert_int_equal(smv__snapshot_from_json("{\"paths\":[{\"name\":\"x\",\"flags\":[\"bogus\"]}]}", &b),
                   SMV_ERR_INVALID_ARG);
  assert_int_equal(smv__snapshot_from_json("{\"paths\":[{\"name\":\"x\",\"addrs\":[\"1.2.3.4/33\"]}]}", &b),
                   SMV_ERR_INVALID_ARG);
  assert_int_equal(smv__snapshot_from_json("[", &b), SMV_ERR_INVALID_ARG);
}

static void test_local_address_membership(void **state) {
  (void)state;
  smv__snapshot s;
  load("android_phone.json", &s, NULL);
  smv__addr a;
  smv__addr_parse("100.64.12.34", &a);
  assert_true(smv__path_has_addr(&s.paths[1], &a));
  assert_false(smv__path_has_addr(&s.paths[2], &a));
  smv__addr_parse("::ffff:100.64.12.34", &a); /* as a dual-stack socket reports it */
  assert_true(smv__path_has_addr(&s.paths[1], &a));
  smv__addr_parse("100.64.12.35", &a); /* same /30, not ours */
  assert_false(smv__path_has_addr(&s.paths[1], &a));
  smv__addr_parse("127.0.0.9", &a); /* lo answers for all of 127/8 */
  assert_true(smv__path_has_addr(&s.paths[0], &a));
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_recorded_layouts),
    cmocka_unit_test(test_clat_follows_its_base),
    cmocka_unit_test(test_hotspot_gateway_outranks_wifi),
    cmocka_unit_test(test_never_falls_back),
    cmocka_unit_test(test_names_are_weak),
    cmocka_unit_test(test_declared_needs_a_name),
    cmocka_unit_test(test_configured_interface),
    cmocka_unit_test(test_clat_attached),
    cmocka_unit_test(test_json_round_trip),
    cmocka_unit_test(test_local_address_membership),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
