/* What the server's two files share: the response object (built by response.c) and the one call by
 * which a built response goes out on its connection (server.c). */
#ifndef SMV_SERVER_SERVER_INTERNAL_H
#define SMV_SERVER_SERVER_INTERNAL_H

#include "core/alloc.h"
#include "server/server.h"

typedef struct srv_conn srv_conn;

struct smv__srv_response {
  smv__srv_request req;
  srv_conn *conn;               /* NULL once the connection went away */
  smv__alloc *alloc;            /* the server's */
  int status;
  char reason[64];
  char *head;                   /* "Name: value\r\n"... added by the handler */
  size_t head_len, head_cap;
  uint8_t *body;
  size_t body_len;
  int close;
  void (*abort_cb)(smv__srv_response *, void *);
  void *abort_data;
  /* the request's storage, taken over from the connection */
  char *q;
  uint8_t *b;
  smv__srv_header *hs;
};

/* Frees a response and what it holds. */
void smv__srv_response_free(smv__srv_response *r);

/* Hands bytes (allocated from res->alloc; taken over) to res's connection as its response, in one
 * write, then closes the connection if close_after, or when the server drains or the connection has
 * carried its last request. res is freed. Returns 0 or SMV_ERR_NOMEM (the connection is closed). */
int smv__srv_conn_emit(smv__srv_response *res, char *bytes, size_t len, int close_after);
/* Would the connection close after this response (draining, or its last request)? */
int smv__srv_conn_last(const smv__srv_response *res);
/* The configured "Server:" value, or NULL. */
const char *smv__srv_conn_server_header(const smv__srv_response *res);
/* Closes res's connection at once (a response that could not be built). res is freed. */
void smv__srv_conn_abandon(smv__srv_response *res);

#endif
