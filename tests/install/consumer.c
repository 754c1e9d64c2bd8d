/* A program built against an installed smv, the way an application would build it: it includes only
 * <smv.h> (and <uv.h> from the same package, for its own loop), and links through pkg-config or the
 * CMake package. tests/install/check.sh builds and runs it; each check fails if the installed headers,
 * libraries or exported symbols are not what the package promises.
 */
/* uv.h needs POSIX types (pthread_rwlock_t, struct addrinfo) that strict C11 hides. */
#define _POSIX_C_SOURCE 200809L

#include <smv.h>
#include <uv.h>

#include <stdio.h>
#include <string.h>

int main(void) {
  uv_loop_t loop;
  smv_client *client = NULL;
  smv_config cfg;
  /* Named, not called (that needs a network): the blocking entry point must link. */
  int (*volatile follow)(const char *, const smv_config *, const smv_client_options *,
                         smv_result **) = smv_follow_sync;
  int rc;

  if (follow == NULL) {
    return 1;
  }
  if (strcmp(smv_errname(SMV_ERR_URL_SCHEME), "SMV_ERR_URL_SCHEME") != 0) {
    fprintf(stderr, "consumer: smv_errname is wrong\n");
    return 1;
  }
  /* The library found at run time is the one the header describes (the packages' one version). */
  if (smv_version() != SMV_VERSION || strcmp(smv_version_string(), SMV_VERSION_STRING) != 0) {
    fprintf(stderr, "consumer: header %s, library %s\n", SMV_VERSION_STRING, smv_version_string());
    return 1;
  }
  smv_config_init(&cfg);
  if (cfg.version != SMV_CONFIG_VERSION) {
    fprintf(stderr, "consumer: smv_config_init did not set the version\n");
    return 1;
  }
  /* The application's own loop, handed to smv: the installed uv.h must match the bundled libuv. */
  if (uv_loop_init(&loop) != 0) {
    return 1;
  }
  rc = smv_client_new(&loop, NULL, &client);
  if (rc != 0) {
    fprintf(stderr, "consumer: smv_client_new: %s\n", smv_strerror(rc));
    return 1;
  }
  smv_client_free(client);
  uv_run(&loop, UV_RUN_DEFAULT);
  if (uv_loop_close(&loop) != 0) {
    fprintf(stderr, "consumer: the client left handles open\n");
    return 1;
  }
  printf("consumer: ok (smv %s, libuv %s)\n", smv_version_string(), uv_version_string());
  return 0;
}
