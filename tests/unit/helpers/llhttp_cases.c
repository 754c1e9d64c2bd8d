/* Test helper: llhttp's cases and the rules they are held to (see llhttp_cases.h). */
#include "helpers/llhttp_cases.h"
#include "helpers/testdata.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

const char *smv_test_stricter_reason(const smv_test_stricter *tab, size_t n, const char *title) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(tab[i].title, title) == 0) return tab[i].reason;
  return NULL;
}

cJSON *smv_test_llhttp_load(const char *name) {
  size_t n;
  char *text = smv_test_read_testdata(name, &n);
  cJSON *root = cJSON_Parse(text);
  free(text);
  assert_non_null(root);
  assert_true(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(root, "cases")));
  return root;
}

void smv_test_llhttp_case_read(const cJSON *entry, smv_test_llhttp_case *c, smv_test_llhttp_tally *t) {
  memset(c, 0, sizeof(*c));
  t->total++;
  c->title = cJSON_GetObjectItemCaseSensitive(entry, "title")->valuestring;
  c->meta = cJSON_GetObjectItemCaseSensitive(entry, "meta");
  c->type = cJSON_GetObjectItemCaseSensitive(c->meta, "type")->valuestring;
  c->llhttp_ok = strcmp(cJSON_GetObjectItemCaseSensitive(entry, "llhttp_result")->valuestring, "ok") == 0;
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(entry, "messages_completed");
  c->messages = cJSON_IsNumber(m) ? m->valueint : -1;
  const char *input = cJSON_GetObjectItemCaseSensitive(entry, "input")->valuestring;
  c->len = strlen(input);
  c->input = malloc(c->len + 3);
  assert_non_null(c->input);
  memcpy(c->input, input, c->len + 1);
  if (c->len >= 2 && c->input[c->len - 2] == '\r' && c->input[c->len - 1] == '\n') {
    memcpy(c->input + c->len, "\r\n", 3);
    c->len += 2;
    t->restored++;
  }
}

void smv_test_llhttp_case_free(smv_test_llhttp_case *c) {
  free(c->input);
  c->input = NULL;
}

int smv_test_llhttp_judge(smv_test_llhttp_tally *t, const smv_test_llhttp_case *c, int lenient,
                          const char *reason, int err, const char *err_name, const char *log,
                          size_t log_len) {
  if (getenv("SMV_TEST_VERBOSE"))
    print_message("%-5s %-28s %s\n", c->llhttp_ok ? "ok" : "error", err_name, c->title);
  if (lenient && c->llhttp_ok) {
    /* Accepted by llhttp only with a leniency flag, so refused at its default strictness: we have
     * no leniency and must refuse it too. */
    if (err == 0) fail_msg("llhttp accepts \"%s\" only leniently; we accept it", c->title);
    t->lenient_skipped++;
  } else if (lenient) {
    if (err == 0) fail_msg("llhttp rejects \"%s\" even leniently; we accept it", c->title);
    t->lenient_err++;
  } else if (reason) {
    if (!c->llhttp_ok) fail_msg("\"%s\" is in the stricter table but llhttp rejects it", c->title);
    if (err == 0) fail_msg("\"%s\": we should refuse it (%s)", c->title, reason);
    t->deliberate++;
  } else if (c->llhttp_ok) {
    if (err != 0) fail_msg("llhttp accepts \"%s\", we say %s:\n%.*s", c->title, err_name, (int)log_len, log);
    t->ok_match++;
    return 1;
  } else {
    if (err == 0) fail_msg("llhttp rejects \"%s\", we accept it:\n%.*s", c->title, (int)log_len, log);
    t->err_match++;
  }
  return 0;
}

void smv_test_llhttp_tally_check(const smv_test_llhttp_tally *t, unsigned total, unsigned stricter) {
  assert_int_equal(t->total, total);
  assert_int_equal(t->ok_match + t->err_match + t->lenient_err + t->deliberate + t->lenient_skipped,
                   t->total);
  assert_int_equal(t->deliberate, stricter);
}
