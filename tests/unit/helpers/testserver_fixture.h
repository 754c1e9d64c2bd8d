/* Test helper: the project's test server (src/server/testserver.h) with its built-in scenarios, for
 * the unit tests that run whole flows against it on a loop of their own. */
#ifndef SMV_TEST_TESTSERVER_FIXTURE_H
#define SMV_TEST_TESTSERVER_FIXTURE_H

#include <stddef.h>
#include <uv.h>

#include "server/testserver.h"

/* Starts it on loop and writes its HTTPS base URL ("https://127.0.0.1:P") and the path of its CA;
 * the test fails when it cannot start. Stop it with smv__testserver_stop, then free it. */
smv__testserver *smv_test_server_start(uv_loop_t *loop, char *https, size_t https_len, char *ca, size_t ca_len);

#endif
