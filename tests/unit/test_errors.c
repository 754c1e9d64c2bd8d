/* The error table: names, messages and exit codes are generated from one list and stay distinct;
 * the values are fixed (a program built against an older header reads the same numbers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "smv.h"

static const int all_codes[] = {
#define CODE(name, value, exitcode, msg) SMV_ERR_##name,
  SMV_ERRNO_MAP(CODE)
#undef CODE
};
#define NCODES (sizeof(all_codes) / sizeof(all_codes[0]))

static void test_names_unique_and_prefixed(void **state) {
  (void)state;
  for (size_t a = 0; a < NCODES; a++) {
    const char *na = smv_errname(all_codes[a]);
    assert_int_equal(strncmp(na, "SMV_ERR_", 8), 0);
    assert_string_not_equal(smv_strerror(all_codes[a]), "unknown error");
    int ec = smv_exit_code(all_codes[a]);
    assert_true(ec >= 1 && ec <= 10);
    for (size_t b = a + 1; b < NCODES; b++) {
      assert_int_not_equal(all_codes[a], all_codes[b]);
      assert_string_not_equal(na, smv_errname(all_codes[b]));
    }
  }
  /* Values in the range that no code takes are unknown, not a neighbour's name. */
  size_t named = 0;
  for (int v = SMV__ERR_MIN_; v <= SMV__ERR_MAX_; v++)
    if (strcmp(smv_errname(v), "SMV_ERR_UNKNOWN") != 0) named++;
  assert_int_equal(named, NCODES);
  assert_string_equal(smv_errname(0), "SMV_OK");
  assert_string_equal(smv_errname(12345), "SMV_ERR_UNKNOWN");
  assert_string_equal(smv_errname(-1000), "SMV_ERR_UNKNOWN");
  assert_int_equal(smv_exit_code(-1000), 1);
}

/* The first codes' values as released: they must never change. */
static void test_values_fixed(void **state) {
  (void)state;
  assert_int_equal(SMV_ERR_NOMEM, -999);
  assert_int_equal(SMV_ERR_NO_CARRIER_PATH, -991);
  assert_int_equal(SMV_ERR_TLS_CERT_EXPIRED, -974);
  assert_int_equal(SMV_ERR_SERVICE_ERROR, -942);
  assert_int_equal(SMV_ERR_TIMEOUT_RESPONSE, -937);
}

static void test_exit_codes_of_contract(void **state) {
  (void)state;
  assert_int_equal(smv_exit_code(SMV_OK), 0);
  assert_int_equal(smv_exit_code(SMV_ERR_NO_CARRIER_PATH), 3);
  assert_int_equal(smv_exit_code(SMV_ERR_PATH_VPN), 3);
  assert_int_equal(smv_exit_code(SMV_ERR_PATH_TETHERED), 3);
  assert_int_equal(smv_exit_code(SMV_ERR_DNS_NOT_FOUND), 4);
  assert_int_equal(smv_exit_code(SMV_ERR_CONNECT_REFUSED), 5);
  assert_int_equal(smv_exit_code(SMV_ERR_TLS_CERT_EXPIRED), 6);
  assert_int_equal(smv_exit_code(SMV_ERR_HTTP_MALFORMED), 7);
  assert_int_equal(smv_exit_code(SMV_ERR_TOO_MANY_REDIRECTS), 8);
  assert_int_equal(smv_exit_code(SMV_ERR_SERVICE_ERROR), 9);
  assert_int_equal(smv_exit_code(SMV_ERR_TIMEOUT), 10);
  assert_int_equal(smv_exit_code(SMV_ERR_NOMEM), 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_names_unique_and_prefixed),
    cmocka_unit_test(test_exit_codes_of_contract),
    cmocka_unit_test(test_values_fixed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
