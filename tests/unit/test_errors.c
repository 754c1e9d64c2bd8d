/* The error table: names, messages and exit codes are generated from one list and stay distinct. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "smv.h"

static void test_names_unique_and_prefixed(void **state) {
  (void)state;
  for (int a = SMV__ERR_FIRST_ + 1; a < SMV__ERR_END_; a++) {
    const char *na = smv_errname(a);
    assert_int_equal(strncmp(na, "SMV_ERR_", 8), 0);
    assert_string_not_equal(smv_strerror(a), "unknown error");
    int ec = smv_exit_code(a);
    assert_true(ec >= 1 && ec <= 10);
    for (int b = a + 1; b < SMV__ERR_END_; b++) assert_string_not_equal(na, smv_errname(b));
  }
  assert_string_equal(smv_errname(0), "SMV_OK");
  assert_string_equal(smv_errname(12345), "SMV_ERR_UNKNOWN");
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
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
