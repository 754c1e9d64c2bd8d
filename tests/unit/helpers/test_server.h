/* Test helper: the project's test server (src/server/testserver.h, its built-in routes or a route
 * file) for a test, on the test's loop or on a thread of its own (for smv_follow_sync, which blocks
 * on a loop of its own), with the URLs and the CA file a client needs. Used by the unit tests and
 * the soak (no test framework inside). */
#ifndef SMV_TEST_TEST_SERVER_H
#define SMV_TEST_TEST_SERVER_H

#include <stddef.h>
#include <uv.h>

#include "server/testserver.h"

typedef struct smv_test_server {
  uv_loop_t *loop;               /* the loop it runs on */
  uv_loop_t own_loop;            /* used when threaded */
  smv__testserver *ts;
  char https[128];               /* "https://127.0.0.1:PORT" */
  char http[128];
  char ca[512];                  /* the PEM file of its CA */
  int threaded;
  uv_thread_t thread;
  uv_async_t stop;
  int stopped;
} smv_test_server;

/* Starts the server on loop, or, with loop NULL, on its own loop and thread (opts NULL: the
 * defaults). Returns 0, or -1 with a message in err. */
int smv_test_server_start(smv_test_server *s, uv_loop_t *loop, const smv__testserver_opts *opts,
                          char *err, size_t errlen);
/* Stops it and waits until every handle is closed (the thread joined). Returns 0, or -1 when a
 * handle of the server's own loop was left open. */
int smv_test_server_stop(smv_test_server *s);

#endif
