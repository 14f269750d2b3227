/* proto.c - encoding, decoding and socket I/O of the gateway-monitor
 * protocol (proto.h). Plain C and POSIX read/write: linked into both sides. */
#include "proto.h"

#include <errno.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

/* Which tags may repeat, and which are numbers or strings. */
enum { K_BYTES = 0, K_NUM = 1, K_STR = 2, K_REPEAT = 4 };

static const uint8_t proto_kinds[PROTO_TAG_MAX_] = {
    [PROTO_F_TENANT] = K_STR,         [PROTO_F_NAME] = K_STR,
    [PROTO_F_WASM] = K_BYTES,         [PROTO_F_ENTRY] = K_STR,
    [PROTO_F_INIT] = K_STR,           [PROTO_F_MEMORY_MODE] = K_NUM,
    [PROTO_F_FUEL] = K_NUM,           [PROTO_F_TIMEOUT_MS] = K_NUM,
    [PROTO_F_MAX_MEMORY] = K_NUM,     [PROTO_F_ENV] = K_STR | K_REPEAT,
    [PROTO_F_OUTPUT_MAX] = K_NUM,     [PROTO_F_STEP] = K_STR | K_REPEAT,
    [PROTO_F_BODY] = K_BYTES,         [PROTO_F_STATUS] = K_NUM,
    [PROTO_F_MESSAGE] = K_STR,        [PROTO_F_EXIT_CODE] = K_NUM,
    [PROTO_F_STEP_INDEX] = K_NUM,     [PROTO_F_TIME_NS] = K_NUM,
    [PROTO_F_LIMIT_FUNCS] = K_NUM,    [PROTO_F_LIMIT_CONC] = K_NUM,
    [PROTO_F_LIMIT_MEM] = K_NUM,      [PROTO_F_STAT] = K_STR | K_REPEAT,
    [PROTO_F_CLONE_NS] = K_NUM,       [PROTO_F_NONCE] = K_BYTES,
    [PROTO_F_EVIDENCE] = K_BYTES,     [PROTO_F_MEASUREMENT] = K_BYTES | K_REPEAT,
    [PROTO_F_SEALED] = K_BYTES,       [PROTO_F_CAGE] = K_NUM,
    [PROTO_F_ARG] = K_STR | K_REPEAT, [PROTO_F_GRANTS] = K_NUM,
    [PROTO_F_TIER] = K_NUM,           [PROTO_F_NATIVE] = K_BYTES,
};

static bool proto_type_known(uint16_t t)
{
    return (t >= PROTO_HELLO && t <= PROTO_ATTEST) || (t >= PROTO_OK && t < PROTO_TYPE_MAX_);
}

bool proto_header(const uint8_t hdr[PROTO_HEADER], uint16_t *type, uint32_t *id, uint32_t *len,
                  const char **why)
{
    if (rd32(hdr) != PROTO_MAGIC) return *why = "bad magic", false;
    if (rd16(hdr + 6) != PROTO_VERSION) return *why = "unsupported protocol version", false;
    *type = rd16(hdr + 4);
    if (!proto_type_known(*type)) return *why = "unknown message type", false;
    *id = rd32(hdr + 8);
    *len = rd32(hdr + 12);
    if (*len > PROTO_MAX_PAYLOAD) return *why = "payload too large", false;
    return true;
}

bool proto_decode(const uint8_t *buf, size_t len, proto_msg *m, const char **why)
{
    uint32_t plen;
    if (len < PROTO_HEADER) return *why = "short header", false;
    if (!proto_header(buf, &m->type, &m->id, &plen, why)) return false;
    if (plen != len - PROTO_HEADER) return *why = "payload length mismatch", false;
    uint64_t seen = 0; /* tags seen, for the ones that may not repeat */
    m->nfields = 0;
    size_t pos = PROTO_HEADER;
    while (pos < len) {
        if (len - pos < 6) return *why = "truncated field header", false;
        uint16_t tag = rd16(buf + pos);
        uint32_t flen = rd32(buf + pos + 2);
        pos += 6;
        if (flen > len - pos) return *why = "field longer than the message", false;
        if (tag == 0 || tag >= PROTO_TAG_MAX_) return *why = "unknown field", false;
        uint8_t k = proto_kinds[tag];
        if (!(k & K_REPEAT) && (seen >> tag & 1)) return *why = "repeated field", false;
        seen |= 1ull << tag;
        if ((k & 3) == K_NUM && flen != 8) return *why = "number field not 8 bytes", false;
        if ((k & 3) == K_STR && memchr(buf + pos, 0, flen))
            return *why = "string field with a NUL byte", false;
        if (m->nfields == PROTO_MAX_FIELDS) return *why = "too many fields", false;
        m->fields[m->nfields++] = (proto_field){tag, flen, buf + pos};
        pos += flen;
    }
    return true;
}

const proto_field *proto_get(const proto_msg *m, uint16_t tag)
{
    for (uint32_t i = 0; i < m->nfields; i++)
        if (m->fields[i].tag == tag) return &m->fields[i];
    return NULL;
}

bool proto_u64(const proto_msg *m, uint16_t tag, uint64_t *v)
{
    const proto_field *f = proto_get(m, tag);
    if (!f || f->len != 8) return false;
    *v = (uint64_t)rd32(f->data) | (uint64_t)rd32(f->data + 4) << 32;
    return true;
}

bool proto_str(const proto_msg *m, uint16_t tag, char *dst, size_t cap)
{
    const proto_field *f = proto_get(m, tag);
    if (!f || f->len >= cap) return false;
    memcpy(dst, f->data, f->len);
    dst[f->len] = '\0';
    return true;
}

const char *proto_status_text(proto_status st)
{
    static const char *const texts[PROTO_ST_MAX_] = {
        [PROTO_ST_OK] = "ok",
        [PROTO_ST_TRAP] = "trap",
        [PROTO_ST_EXIT] = "exit",
        [PROTO_ST_FUEL] = "fuel",
        [PROTO_ST_TIMEOUT] = "timeout",
        [PROTO_ST_MEMORY] = "memory",
        [PROTO_ST_NOT_FOUND] = "not_found",
        [PROTO_ST_BAD_MODULE] = "bad_module",
        [PROTO_ST_BAD_REQUEST] = "bad_request",
        [PROTO_ST_LIMIT] = "limit",
        [PROTO_ST_BUSY] = "busy",
        [PROTO_ST_INTERNAL] = "internal",
        [PROTO_ST_UNSUPPORTED] = "unsupported",
        [PROTO_ST_SEALED] = "sealed",
    };
    return (unsigned)st < PROTO_ST_MAX_ ? texts[st] : "unknown";
}

/* ---- building ---------------------------------------------------------------- */

static bool proto_reserve(proto_buf *b, size_t more)
{
    if (b->failed) return false;
    if (more > PROTO_HEADER + (size_t)PROTO_MAX_PAYLOAD - b->len) return b->failed = true, false;
    if (b->len + more <= b->cap) return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more)
        cap *= 2;
    uint8_t *d = realloc(b->data, cap);
    if (!d) return b->failed = true, false;
    b->data = d;
    b->cap = cap;
    return true;
}

bool proto_begin(proto_buf *b, uint16_t type, uint32_t id)
{
    b->len = 0;
    b->failed = false;
    if (!proto_reserve(b, PROTO_HEADER)) return false;
    wr32(b->data, PROTO_MAGIC);
    wr16(b->data + 4, type);
    wr16(b->data + 6, PROTO_VERSION);
    wr32(b->data + 8, id);
    wr32(b->data + 12, 0);
    b->len = PROTO_HEADER;
    return true;
}

uint8_t *proto_put_space(proto_buf *b, uint16_t tag, size_t len)
{
    if (len > PROTO_MAX_PAYLOAD || !proto_reserve(b, 6 + len)) return NULL;
    wr16(b->data + b->len, tag);
    wr32(b->data + b->len + 2, (uint32_t)len);
    uint8_t *p = b->data + b->len + 6;
    b->len += 6 + len;
    return p;
}

bool proto_put(proto_buf *b, uint16_t tag, const void *data, size_t len)
{
    uint8_t *p = proto_put_space(b, tag, len);
    if (!p) return false;
    if (len) memcpy(p, data, len);
    return true;
}

bool proto_put_u64(proto_buf *b, uint16_t tag, uint64_t v)
{
    uint8_t d[8];
    wr32(d, (uint32_t)v);
    wr32(d + 4, (uint32_t)(v >> 32));
    return proto_put(b, tag, d, 8);
}

bool proto_put_str(proto_buf *b, uint16_t tag, const char *s)
{
    return proto_put(b, tag, s, strlen(s));
}

bool proto_end(proto_buf *b)
{
    if (b->failed || b->len < PROTO_HEADER) return false;
    wr32(b->data + 12, (uint32_t)(b->len - PROTO_HEADER));
    return true;
}

void proto_buf_free(proto_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ---- socket I/O -------------------------------------------------------------- */

static bool proto_write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

bool proto_read_all(int fd, uint8_t *p, size_t n)
{
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        p += r;
        n -= (size_t)r;
    }
    return true;
}

bool proto_send(int fd, const proto_buf *b)
{
    return !b->failed && proto_write_all(fd, b->data, b->len);
}

bool proto_recv(int fd, uint8_t **out, size_t *len, const char **why)
{
    uint8_t hdr[PROTO_HEADER];
    uint16_t type;
    uint32_t id, plen;
    *why = "connection closed";
    if (!proto_read_all(fd, hdr, sizeof hdr)) return false;
    if (!proto_header(hdr, &type, &id, &plen, why)) return false;
    uint8_t *buf = malloc(PROTO_HEADER + (size_t)plen);
    if (!buf) return *why = "out of memory", false;
    memcpy(buf, hdr, PROTO_HEADER);
    if (!proto_read_all(fd, buf + PROTO_HEADER, plen)) {
        free(buf);
        *why = "connection closed in a message";
        return false;
    }
    *out = buf;
    *len = PROTO_HEADER + (size_t)plen;
    return true;
}

int proto_recv_fd(int ctl)
{
    char byte;
    struct iovec iov = {&byte, 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
    ssize_t n;
    do
        n = recvmsg(ctl, &mh, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n <= 0) return -1;
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) return -2;
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return fd;
}
