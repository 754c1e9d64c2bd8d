/* Test helper: the test server for tests (see test_server.h). */
#include "helpers/test_server.h"

#include <stdio.h>
#include <string.h>
#include <cJSON.h>

static int copy_item(const cJSON *j, const char *key, char *out, size_t cap) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
  if (!cJSON_IsString(v)) return -1;
  snprintf(out, cap, "%s", v->valuestring);
  return 0;
}

static void run_thread(void *arg) {
  smv_test_server *s = arg;
  uv_run(s->loop, UV_RUN_DEFAULT);
}

static void stopped(void *d) { *(int *)d = 1; }

static void on_stop(uv_async_t *a) {
  smv_test_server *s = a->data;
  smv__testserver_stop(s->ts, stopped, &s->stopped);
  uv_close((uv_handle_t *)a, NULL);
}

int smv_test_server_start(smv_test_server *s, uv_loop_t *loop, const smv__testserver_opts *opts,
                          char *err, size_t errlen) {
  memset(s, 0, sizeof(*s));
  s->threaded = loop == NULL;
  if (s->threaded && uv_loop_init(&s->own_loop) != 0) {
    snprintf(err, errlen, "uv_loop_init failed");
    return -1;
  }
  s->loop = loop = s->threaded ? &s->own_loop : loop;
  smv__testserver_opts none;
  memset(&none, 0, sizeof(none));
  if (smv__testserver_start(loop, opts ? opts : &none, &s->ts, err, errlen) != 0) return -1;
  cJSON *j = cJSON_Parse(smv__testserver_ready_json(s->ts));
  int rc = j && copy_item(j, "https", s->https, sizeof(s->https)) == 0 &&
           copy_item(j, "http", s->http, sizeof(s->http)) == 0 &&
           copy_item(j, "ca", s->ca, sizeof(s->ca)) == 0 ? 0 : -1;
  cJSON_Delete(j);
  if (rc) {
    snprintf(err, errlen, "the test server's ready line lacks https, http or ca");
    return -1;
  }
  if (s->threaded) {
    s->stop.data = s;
    if (uv_async_init(loop, &s->stop, on_stop) != 0 || uv_thread_create(&s->thread, run_thread, s) != 0) {
      snprintf(err, errlen, "cannot start the server's thread");
      return -1;
    }
  }
  return 0;
}

int smv_test_server_stop(smv_test_server *s) {
  if (s->threaded) {
    uv_async_send(&s->stop);
    uv_thread_join(&s->thread);
  } else {
    smv__testserver_stop(s->ts, stopped, &s->stopped);
    for (int i = 0; !s->stopped && i < 100000; i++) uv_run(s->loop, UV_RUN_ONCE);
  }
  smv__testserver_free(s->ts);
  s->ts = NULL;
  /* Its own loop runs until empty; a shared loop may hold the test's other handles, so it only
   * runs the close callbacks that are due. */
  if (s->threaded) uv_run(s->loop, UV_RUN_DEFAULT);
  else for (int i = 0; i < 100; i++) uv_run(s->loop, UV_RUN_NOWAIT);
  return s->threaded && uv_loop_close(&s->own_loop) != 0 ? -1 : 0;
}
