/* Happy Eyeballs v2 (RFC 8305), see race.h. */
#include "io/race.h"

#include <string.h>

static void step(smv__race *r);

static const smv__conn_events race_events;

static int fam_index(int family) { return family == AF_INET6 ? 0 : 1; }

int smv__race_init(smv__race *r, smv_client *cl) {
  memset(r, 0, sizeof(*r));
  r->client = cl;
  if (uv_timer_init(cl->loop, &r->timer) != 0) return SMV_ERR_IO;
  r->timer.data = r;
  r->timer_open = 1;
  return 0;
}

void smv__race_close(smv__race *r, uv_close_cb closed_cb, void *data) {
  smv__race_stop(r);
  if (r->timer_open) {
    r->timer_open = 0;
    r->timer.data = data;
    uv_close((uv_handle_t *)&r->timer, closed_cb);
  }
}

void smv__race_begin(smv__race *r, const char *host, unsigned port, int tls, const char *ifname,
                     int pending6, int pending4, smv__race_cb cb, void *ud) {
  smv__race_stop(r);
  r->host = host;
  r->ifname = ifname;
  r->port = port;
  r->tls = tls;
  r->n[0] = r->n[1] = r->next[0] = r->next[1] = 0;
  r->pending[0] = pending6;
  r->pending[1] = pending4;
  r->prefer = 0;
  r->waiting = 0;
  r->attempts = 0;
  r->last_err = 0;
  r->cb = cb;
  r->ud = ud;
  r->done = 0;
  r->failing = 0;
  r->running = 1;
}

/* Ends the race with winner or err: the callback runs once. */
static void end(smv__race *r, smv__conn *winner, int err) {
  r->running = 0;
  r->done = 1;
  uv_timer_stop(&r->timer);
  for (size_t i = 0; i < r->natt; i++)
    if (r->att[i] != winner) smv__conn_abandon(r->att[i]);
  r->natt = 0;
  r->cb(r, winner, err, r->ud);
}

void smv__race_stop(smv__race *r) {
  if (r->timer_open) uv_timer_stop(&r->timer);
  r->failing = 0;
  for (size_t i = 0; i < r->natt; i++) smv__conn_abandon(r->att[i]);
  r->natt = 0;
  r->running = 0;
}

void smv__race_add(smv__race *r, const struct sockaddr *sa, const smv__path *path) {
  if (!r->running) return;
  int f = fam_index(sa->sa_family);
  if (r->n[f] >= SMV__RACE_ADDRS_MAX) return;
  smv__race_addr *a = &r->q[f][r->n[f]++];
  memset(a, 0, sizeof(*a));
  memcpy(&a->sa, sa, sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
  a->path = path;
  step(r);
}

void smv__race_answer_done(smv__race *r, int family, int err) {
  if (!r->running) return;
  r->pending[fam_index(family)] = 0;
  /* A DNS error matters only when nothing at all can be tried; a connect error wins over it. */
  if (err && !r->last_err) r->last_err = err;
  step(r);
}

static void on_timer(uv_timer_t *t) {
  smv__race *r = t->data;
  r->waiting = 0;
  if (r->failing) {
    r->failing = 0;
    end(r, NULL, r->fail_err);
    return;
  }
  step(r);
}

/* Ends the race with err from the loop, not from inside the caller's smv__race_add / _answer_done:
 * the callback may release what the caller still holds. */
static void fail_soon(smv__race *r, int err) {
  r->failing = 1;
  r->fail_err = err;
  r->running = 0;
  for (size_t i = 0; i < r->natt; i++) smv__conn_abandon(r->att[i]);
  r->natt = 0;
  uv_timer_start(&r->timer, on_timer, 0, 0);
}

/* Failures that say the path is not what it should be, or that nothing could succeed: no other
 * address is tried (fail closed). */
static int fatal(int err) {
  return err == SMV_ERR_PATH_BIND || err == SMV_ERR_PATH_LOCAL_ADDR || err == SMV_ERR_PATH_LOST ||
         err == SMV_ERR_NOMEM || err == SMV_ERR_IO;
}

static void remove_attempt(smv__race *r, size_t i) { r->att[i] = r->att[--r->natt]; }

static void att_connected(smv__conn *c, int err, void *ud) {
  smv__race *r = ud;
  size_t i = 0;
  while (i < r->natt && r->att[i] != c) i++;
  if (i == r->natt) return;
  if (err == 0) {
    remove_attempt(r, i);
    end(r, c, 0);
    return;
  }
  remove_attempt(r, i);
  smv__conn_close(c);
  if (fatal(err)) {
    fail_soon(r, err);
    return;
  }
  r->last_err = err;
  /* RFC 8305 5: a failed attempt starts the next one at once, not after the delay. */
  uv_timer_stop(&r->timer);
  step(r);
}

static const smv__conn_events race_events = {att_connected, NULL, NULL, NULL, NULL};

/* The next address: the preferred family's next one, else the other's; the families alternate. */
static smv__race_addr *next_addr(smv__race *r) {
  for (int k = 0; k < 2; k++) {
    int f = (r->prefer + k) % 2;
    if (r->next[f] < r->n[f]) {
      r->prefer = 1 - f;
      return &r->q[f][r->next[f]++];
    }
  }
  return NULL;
}

static int untried(const smv__race *r) {
  return r->next[0] < r->n[0] || r->next[1] < r->n[1];
}

/* Starts what may start now; ends the race when nothing is left to wait for. */
static void step(smv__race *r) {
  /* The AAAA answer came (or failed) during the resolution delay: no need to wait any longer. */
  if (r->waiting && (r->n[0] > 0 || !r->pending[0])) {
    r->waiting = 0;
    uv_timer_stop(&r->timer);
  }
  while (r->running && !uv_is_active((uv_handle_t *)&r->timer)) {
    if (!untried(r)) {
      if (r->natt == 0 && !r->pending[0] && !r->pending[1])
        fail_soon(r, r->last_err ? r->last_err : SMV_ERR_CONNECT_UNREACH);
      return;
    }
    /* RFC 8305 3: IPv4 addresses alone, and AAAA still to come: give it 50 ms first. */
    if (r->attempts == 0 && r->n[0] == 0 && r->pending[0] && !r->waiting) {
      r->waiting = 1;
      uv_timer_start(&r->timer, on_timer, SMV__RACE_RESOLUTION_DELAY_MS, 0);
      return;
    }
    if (r->natt >= SMV__RACE_ATTEMPTS_MAX) return;
    smv__race_addr *a = next_addr(r);
    smv__conn *c;
    char key[SMV__CONN_KEY_MAX];
    smv__conn_key(key, r->tls, r->host, r->port, r->ifname);
    int rc = smv__conn_new(r->client, key, r->host, r->port, r->tls, &c);
    if (rc) { /* no memory, or no trust store: nothing else would do better */
      fail_soon(r, rc);
      return;
    }
    r->attempts++;
    rc = smv__conn_connect(c, a->path, (const struct sockaddr *)&a->sa, &race_events, r);
    if (r->trace) r->trace(r->ud, c->remote_text, a->path ? a->path->name : "");
    if (rc) {
      smv__conn_close(c);
      /* a socket that cannot be bound to the path is refused, never sent another way */
      if (fatal(rc)) {
        fail_soon(r, rc);
        return;
      }
      r->last_err = rc;
      continue;
    }
    r->att[r->natt++] = c;
    /* RFC 8305 5: the next attempt after the connection attempt delay, unless this one ends first. */
    uv_timer_start(&r->timer, on_timer, SMV__RACE_ATTEMPT_DELAY_MS, 0);
  }
}
