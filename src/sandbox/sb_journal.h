/* The callback journal: an append-only file of results that must reach the app's backend, so that a
 * sandbox killed with callbacks pending delivers them after a restart (at least once). Each record
 * is one line and is fsync'ed before the callback is attempted:
 *     P <seq> <token> <result> <url>      a result to deliver
 *     D <seq>                             delivered (the receiver answered below 500)
 *     X <seq>                             abandoned after the last retry
 * Opening replays the P records without a D or X and rewrites the file with only those (compaction,
 * through a temporary file and rename). One process per journal: the file is locked. */
#ifndef SMV_SANDBOX_SB_JOURNAL_H
#define SMV_SANDBOX_SB_JOURNAL_H

#include <stdint.h>

typedef struct smv__sb_journal {
  int fd;
  uint64_t next_seq;
  int sync;                    /* fsync each record (1 by default) */
} smv__sb_journal;

typedef void (*smv__sb_journal_replay_cb)(void *ud, uint64_t seq, const char *token,
                                          const char *result, const char *url);

/* Opens (creating) the journal at path, calls replay for each undelivered record in order, and
 * leaves the file compacted and open for appending. Returns 0, SMV_ERR_IO (with errno), or
 * SMV_ERR_INVALID_ARG when another process holds it. */
int smv__sb_journal_open(smv__sb_journal *j, const char *path, smv__sb_journal_replay_cb replay,
                         void *ud);
/* Appends a P record; *seq receives its number. Returns 0 or SMV_ERR_IO. */
int smv__sb_journal_add(smv__sb_journal *j, const char *token, const char *result, const char *url,
                        uint64_t *seq);
/* Appends D (delivered) or X (abandoned). */
int smv__sb_journal_done(smv__sb_journal *j, uint64_t seq, int delivered);
void smv__sb_journal_close(smv__sb_journal *j);

#endif
