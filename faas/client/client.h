/* client.h - HTTP calls to a ward node (libcurl), for `ward client`. */
#ifndef WARD_FAAS_CLIENT_H
#define WARD_FAAS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct wc_conn {
    const char *url;   /* e.g. http://127.0.0.1:8080 */
    const char *token; /* bearer token, or NULL */
    bool verbose;      /* timings (and progress) on stderr */
    bool progress;     /* progress of uploads on stderr */
} wc_conn;

typedef struct wc_resp {
    long status; /* HTTP status, 0 if no answer */
    char *body;  /* malloc'ed, NUL-terminated (len without it) */
    size_t len;
    char error[256]; /* the transport's error when status is 0 */
    double total_s, connect_s;
    char time_us[32], clone_us[32]; /* X-Ward-Time-Us, X-Ward-Clone-Us */
} wc_resp;

/* method path [extra headers "Name: value", several separated by '\n', or NULL] body: fills r (free
 * with wc_resp_free). */
bool wc_request(const wc_conn *c, const char *method, const char *path, const char *header,
                const void *body, size_t len, wc_resp *r);
void wc_resp_free(wc_resp *r);

#endif
