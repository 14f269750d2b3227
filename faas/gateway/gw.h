/* gw.h - the gateway's internal interface (faas/gateway): the link to the
 * monitor (gw_link.c), the store on disk (gw_store.c), HTTP (gateway.c). */
#ifndef WARD_FAAS_GW_H
#define WARD_FAAS_GW_H

#include "gateway.h"
#include "proto.h"

enum { GW_OK = 0, GW_DOWN = -1, GW_TIMEOUT = -2, GW_BUSY = -3 };
/* How long a request waits for the monitor to be connected and the store
 * replayed onto it (a restart of either side) before it gets 503. */
#define GW_READY_WAIT_MS 10000u

bool gw_link_start(const gw_config *cfg);
bool gw_link_ready(void);
/* Sends req (ended; its id is set here) and waits for the reply, at most
 * timeout_ms: GW_OK with a malloc'ed *reply, or GW_DOWN (no monitor, or it
 * went away meanwhile), GW_TIMEOUT, GW_BUSY (too many requests waiting). */
int64_t gw_call(proto_buf *req, uint64_t timeout_ms, uint8_t **reply, size_t *len);

typedef struct gw_fn_ref {
    char tenant[64], name[64];
} gw_fn_ref;

void gw_store_init(const char *dir);
/* kind "fn" or "chain"; files are written to a temporary name and renamed. */
bool gw_store_put(const char *tenant, const char *kind, const char *name, const char *ext,
                  const void *data, size_t len);
/* malloc'ed contents (NUL-terminated, *len without it), NULL if absent. */
char *gw_store_get(const char *tenant, const char *kind, const char *name, const char *ext,
                   size_t *len);
bool gw_store_del(const char *tenant, const char *kind, const char *name, const char *ext);
/* Names of a tenant's functions or chains (sorted, malloc'ed array of 64-byte names). */
char (*gw_store_list(const char *tenant, const char *kind, size_t *n))[64];
/* Every function of every tenant in the store. */
gw_fn_ref *gw_store_all(size_t *n);

/* A DEPLOY message (not ended) for a function. */
bool gw_deploy_build(proto_buf *b, const char *tenant, const char *name, const void *wasm,
                     size_t len, const gw_manifest *m);
/* The same from the store. */
bool gw_deploy_msg(proto_buf *b, const char *tenant, const char *name, char *why, size_t cap);

#endif
