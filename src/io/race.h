/* Happy Eyeballs v2 on the carrier path (RFC 8305): the connection attempts of one hop. Addresses
 * come in as the AAAA and A answers do; IPv6 is preferred, families alternate, a new attempt starts
 * every 250 ms while the earlier ones go on (or at once when one fails), and the first TCP connection
 * wins; the others are abandoned (smv__conn_abandon: no reset ever leaves by another route). The
 * winner is handed over before its TLS handshake, so that only one TLS engine is ever made. */
#ifndef SMV_IO_RACE_H
#define SMV_IO_RACE_H

#include <netinet/in.h>
#include <uv.h>

#include "io/conn.h"

#define SMV__RACE_RESOLUTION_DELAY_MS 50  /* RFC 8305 3: an A answer waits this long for AAAA */
#define SMV__RACE_ATTEMPT_DELAY_MS 250    /* RFC 8305 5: the recommended connection attempt delay */
#define SMV__RACE_ADDRS_MAX 4             /* addresses of one hop tried per family: RFC 8305 needs a
                                             few of each; the rest of an answer waits in vain */
#define SMV__RACE_ATTEMPTS_MAX 4          /* attempts in flight at once */

typedef struct smv__race smv__race;

/* The race's end: the winning connection (TCP connected, local address checked; the owner attaches
 * its events and calls smv__conn_start), or err (the last attempt's, the answers' when there was
 * nothing to try, or SMV_ERR_CONNECT_UNREACH). Called once, always from the loop (never inside
 * smv__race_add or smv__race_answer_done). */
typedef void (*smv__race_cb)(smv__race *r, smv__conn *winner, int err, void *ud);

typedef struct smv__race_addr {
  struct sockaddr_in6 sa;      /* holds a sockaddr_in for IPv4 */
  const smv__path *path;       /* the path its socket is bound to (the carrier path, or its CLAT) */
} smv__race_addr;

struct smv__race {
  smv_client *client;
  uv_timer_t timer;            /* the attempt delay, or the resolution delay */
  int timer_open;
  const char *host;            /* the URL's host (the owner's, kept alive) */
  const char *ifname;          /* the carrier path's name: with scheme, host and port, the pool key */
  unsigned port;
  int tls;
  smv__race_addr q[2][SMV__RACE_ADDRS_MAX]; /* [0] IPv6, [1] IPv4, in the answers' order */
  size_t n[2], next[2];
  int pending[2];              /* an answer of that family is still to come */
  int prefer;                  /* the family index of the next attempt (0: IPv6 first) */
  int waiting;                 /* the timer runs for the resolution delay */
  smv__conn *att[SMV__RACE_ATTEMPTS_MAX];
  size_t natt;
  unsigned attempts;           /* attempts started */
  int last_err;
  int running, done;
  int failing, fail_err;       /* the race ends with fail_err on the next turn of the loop */
  smv__race_cb cb;
  void *ud;
  void (*trace)(void *ud, const char *remote, const char *via); /* an attempt starts (may be NULL) */
};

/* Sets r up on the client's loop (its timer: close it with smv__race_close). */
int smv__race_init(smv__race *r, smv_client *cl);
/* A new race for one hop: which answers are still to come (pending6, pending4). */
void smv__race_begin(smv__race *r, const char *host, unsigned port, int tls, const char *ifname,
                     int pending6, int pending4, smv__race_cb cb, void *ud);
/* An address to try (dropped when the race already has SMV__RACE_ADDRS_MAX of its family). */
void smv__race_add(smv__race *r, const struct sockaddr *sa, const smv__path *path);
/* No more addresses of family (AF_INET6, AF_INET) will come: the answer is in or failed (err, the
 * DNS error, given to the callback when nothing could be tried at all). */
void smv__race_answer_done(smv__race *r, int family, int err);
/* Ends the race without a winner: every attempt is abandoned, no callback. */
void smv__race_stop(smv__race *r);
/* Stops the race and closes its timer; closed_cb (uv_close's) follows, with the handle's data set to
 * data (the owner's). */
void smv__race_close(smv__race *r, uv_close_cb closed_cb, void *data);

#endif
