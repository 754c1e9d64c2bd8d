/* Journal file I/O with plain POSIX calls: records are small and rare next to the network work, and
 * a synchronous write + fsync is the simplest way to know a result is on disk before it is sent. A
 * torn last line (killed mid-write) is ignored on replay. */
#include "sandbox/sb_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "smv.h"

typedef struct rec {
  uint64_t seq;
  char *line;                  /* "token result url" */
  int open;
} rec;

static int write_all(int fd, const char *s, size_t n) {
  while (n) {
    ssize_t w = write(fd, s, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    s += w;
    n -= (size_t)w;
  }
  return 0;
}

static char *slurp(int fd, size_t *len) {
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap + 1);
  if (!buf) return NULL;
  for (;;) {
    if (n == cap) {
      char *nb = realloc(buf, cap * 2 + 1);
      if (!nb) {
        free(buf);
        return NULL;
      }
      buf = nb;
      cap *= 2;
    }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      free(buf);
      return NULL;
    }
    if (r == 0) break;
    n += (size_t)r;
  }
  buf[n] = 0;
  *len = n;
  return buf;
}

int smv__sb_journal_open(smv__sb_journal *j, const char *path, smv__sb_journal_replay_cb replay,
                         void *ud) {
  memset(j, 0, sizeof(*j));
  j->fd = -1;
  j->sync = 1;
  j->next_seq = 1;
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return SMV_ERR_IO;
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return SMV_ERR_INVALID_ARG;
  }
  size_t len = 0;
  char *text = slurp(fd, &len);
  if (!text) {
    close(fd);
    return SMV_ERR_IO;
  }
  rec *recs = NULL;
  size_t nrec = 0, cap = 0;
  int rc = 0;
  for (char *line = text; *line;) {
    char *nl = strchr(line, '\n');
    if (!nl) break; /* torn tail */
    *nl = 0;
    char kind = line[0];
    char *end = NULL;
    unsigned long long seq = line[0] && line[1] == ' ' ? strtoull(line + 2, &end, 10) : 0;
    if (seq && end && (kind == 'P' ? *end == ' ' : *end == 0)) {
      if (seq >= j->next_seq) j->next_seq = seq + 1;
      if (kind == 'P') {
        if (nrec == cap) {
          cap = cap ? cap * 2 : 64;
          rec *nr = realloc(recs, cap * sizeof(*recs));
          if (!nr) {
            rc = SMV_ERR_NOMEM;
            break;
          }
          recs = nr;
        }
        recs[nrec++] = (rec){seq, end + 1, 1};
      } else if (kind == 'D' || kind == 'X') {
        for (size_t i = nrec; i-- > 0;)
          if (recs[i].seq == seq) {
            recs[i].open = 0;
            break;
          }
      }
    }
    line = nl + 1;
  }
  /* Compact: the open records into path.tmp, then rename over the journal. */
  char tmp[4096];
  snprintf(tmp, sizeof(tmp), "%s.tmp", path);
  int tfd = rc ? -1 : open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (!rc && tfd < 0) rc = SMV_ERR_IO;
  for (size_t i = 0; !rc && i < nrec; i++) {
    if (!recs[i].open) continue;
    char head[40];
    int hn = snprintf(head, sizeof(head), "P %llu ", (unsigned long long)recs[i].seq);
    if (write_all(tfd, head, (size_t)hn) || write_all(tfd, recs[i].line, strlen(recs[i].line)) ||
        write_all(tfd, "\n", 1))
      rc = SMV_ERR_IO;
  }
  if (!rc && (fsync(tfd) || rename(tmp, path))) rc = SMV_ERR_IO;
  if (tfd >= 0) close(tfd);
  close(fd);
  if (!rc) {
    fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
      if (fd >= 0) close(fd);
      rc = SMV_ERR_IO;
    } else {
      j->fd = fd;
    }
  }
  for (size_t i = 0; !rc && i < nrec; i++) {
    if (!recs[i].open) continue;
    char *tok = recs[i].line, *res = strchr(tok, ' ');
    char *url = res ? strchr(res + 1, ' ') : NULL;
    if (!url) continue;
    *res++ = 0;
    *url++ = 0;
    replay(ud, recs[i].seq, tok, res, url);
  }
  free(recs);
  free(text);
  return rc;
}

static int append(smv__sb_journal *j, const char *s, size_t n) {
  if (j->fd < 0) return SMV_ERR_IO;
  if (write_all(j->fd, s, n)) return SMV_ERR_IO;
  if (j->sync && fdatasync(j->fd)) return SMV_ERR_IO;
  return 0;
}

int smv__sb_journal_add(smv__sb_journal *j, const char *token, const char *result, const char *url,
                        uint64_t *seq) {
  size_t n = strlen(token) + strlen(result) + strlen(url) + 48;
  char *line = malloc(n);
  if (!line) return SMV_ERR_NOMEM;
  *seq = j->next_seq++;
  int len = snprintf(line, n, "P %llu %s %s %s\n", (unsigned long long)*seq, token, result, url);
  int rc = append(j, line, (size_t)len);
  free(line);
  return rc;
}

int smv__sb_journal_done(smv__sb_journal *j, uint64_t seq, int delivered) {
  char line[40];
  int len = snprintf(line, sizeof(line), "%c %llu\n", delivered ? 'D' : 'X', (unsigned long long)seq);
  return append(j, line, (size_t)len);
}

void smv__sb_journal_close(smv__sb_journal *j) {
  if (j->fd >= 0) close(j->fd);
  j->fd = -1;
}
