/* The program tests/bench/footprint.sh measures: firmware that links smv statically and runs one flow
 * through the blocking entry point, nothing else. Its stripped size, split by component, is the
 * footprint figure of issue 5 (smv's own code <= 48 KiB, everything but libc <= 300 KiB on armhf).
 *
 * Usage: smv_footprint URL [INTERFACE [RETURN_URL]]
 */
#include <smv.h>

#include <stdio.h>

int main(int argc, char **argv) {
  smv_config cfg;
  smv_result *res = NULL;
  int rc;

  if (argc < 2) {
    fprintf(stderr, "usage: %s URL [INTERFACE [RETURN_URL]]\n", argv[0]);
    return 2;
  }
  smv_config_init(&cfg);
  if (argc > 2) {
    cfg.interface = argv[2];
  }
  if (argc > 3) {
    cfg.return_url = argv[3];
  }
  rc = smv_follow_sync(argv[1], &cfg, NULL, &res);
  if (rc != 0 || res == NULL) {
    fprintf(stderr, "%s\n", smv_strerror(rc));
    return smv_exit_code(rc);
  }
  rc = res->error;
  printf("%s %d %s\n", smv_errname(rc), res->http_status, res->final_url ? res->final_url : "-");
  if (res->token != NULL) {
    printf("token %s\n", res->token);
  }
  smv_result_free(res);
  return smv_exit_code(rc);
}
