#include "testserver_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <cJSON.h>

smv__testserver *smv_test_server_start(uv_loop_t *loop, char *https, size_t https_len, char *ca, size_t ca_len) {
  smv__testserver *ts = NULL;
  smv__testserver_opts o;
  memset(&o, 0, sizeof(o));
  char err[256];
  if (smv__testserver_start(loop, &o, &ts, err, sizeof(err)) != 0) fail_msg("test server: %s", err);
  cJSON *j = cJSON_Parse(smv__testserver_ready_json(ts));
  assert_non_null(j);
  snprintf(https, https_len, "%s", cJSON_GetObjectItem(j, "https")->valuestring);
  snprintf(ca, ca_len, "%s", cJSON_GetObjectItem(j, "ca")->valuestring);
  cJSON_Delete(j);
  return ts;
}
