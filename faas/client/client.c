/* client.c - one HTTP request to a ward node through libcurl. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client.h"

static pthread_once_t wc_once = PTHREAD_ONCE_INIT;

static void wc_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

typedef struct wc_upload {
    const char *data;
    size_t len, pos;
} wc_upload;

static size_t on_read(char *buf, size_t size, size_t n, void *arg)
{
    wc_upload *u = arg;
    size_t k = size * n;
    if (k > u->len - u->pos) k = u->len - u->pos;
    memcpy(buf, u->data + u->pos, k);
    u->pos += k;
    return k;
}

static size_t on_write(char *p, size_t size, size_t n, void *arg)
{
    wc_resp *r = arg;
    size_t k = size * n;
    char *b = realloc(r->body, r->len + k + 1);
    if (!b) return 0;
    memcpy(b + r->len, p, k);
    r->body = b;
    r->len += k;
    b[r->len] = '\0';
    return k;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    wc_resp *r = arg;
    size_t k = size * n;
    const char *names[2] = {"X-Ward-Time-Us:", "X-Ward-Clone-Us:"};
    char *dst[2] = {r->time_us, r->clone_us};
    for (int i = 0; i < 2; i++) {
        size_t l = strlen(names[i]);
        if (k > l && !strncasecmp(p, names[i], l)) {
            size_t v = k - l;
            const char *s = p + l;
            while (v && (*s == ' '))
                s++, v--;
            while (v && (s[v - 1] == '\r' || s[v - 1] == '\n'))
                v--;
            if (v >= 32) v = 31;
            memcpy(dst[i], s, v);
            dst[i][v] = '\0';
        }
    }
    return k;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)arg, (void)dltotal, (void)dlnow;
    if (ultotal > 0)
        fprintf(stderr, "\rupload %lld / %lld KiB (%d%%)", (long long)ulnow / 1024,
                (long long)ultotal / 1024, (int)(ulnow * 100 / ultotal));
    return 0;
}

bool wc_request(const wc_conn *c, const char *method, const char *path, const char *header,
                const void *body, size_t len, wc_resp *r)
{
    pthread_once(&wc_once, wc_init);
    memset(r, 0, sizeof r[0]);
    CURL *h = curl_easy_init();
    if (!h) {
        snprintf(r->error, sizeof r->error, "curl_easy_init failed");
        return false;
    }
    char url[2048], auth[300];
    snprintf(url, sizeof url, "%s%s", c->url, path);
    struct curl_slist *hs = NULL;
    if (c->token && c->token[0]) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", c->token);
        hs = curl_slist_append(hs, auth);
    }
    for (const char *h = header; h && *h;) { /* several, separated by '\n' */
        size_t n = strcspn(h, "\n");
        char *one = strndup(h, n);
        if (one) hs = curl_slist_append(hs, one);
        free(one);
        h += n + (h[n] == '\n');
    }
    hs = curl_slist_append(hs, "Expect:"); /* no 100-continue round trip */
    wc_upload up = {body, len, 0};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
    if (strcmp(method, "GET") && strcmp(method, "DELETE")) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(h, CURLOPT_READDATA, &up);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    }
    if (c->progress) {
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    }
    CURLcode rc = curl_easy_perform(h);
    if (c->progress) fputc('\n', stderr);
    if (rc != CURLE_OK) {
        snprintf(r->error, sizeof r->error, "%s", curl_easy_strerror(rc));
    } else {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
        curl_easy_getinfo(h, CURLINFO_TOTAL_TIME, &r->total_s);
        curl_easy_getinfo(h, CURLINFO_CONNECT_TIME, &r->connect_s);
    }
    if (!r->body) r->body = calloc(1, 1);
    curl_slist_free_all(hs);
    curl_easy_cleanup(h);
    return rc == CURLE_OK;
}

void wc_resp_free(wc_resp *r)
{
    free(r->body);
    r->body = NULL;
}
