/* http_head.c - request heads of HTTP/1.x. */
#include "base/http_head.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* Where the head ends (the index after its empty line), or 0 when it does not yet. */
static size_t head_end(const char *buf, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (buf[i] != '\n')
            continue;
        if (buf[i + 1] == '\n')
            return i + 2;
        if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

int http_head_parse(const char *buf, size_t len, struct http_request *ret)
{
    if (!head_end(buf, len))
        return 0;
    const char *eol = memchr(buf, '\n', len);
    size_t line = (size_t)(eol - buf);
    if (line && buf[line - 1] == '\r')
        line--;
    /* METHOD SP TARGET SP HTTP/1.x */
    const char *sp1 = memchr(buf, ' ', line);
    if (!sp1 || sp1 == buf)
        return -EINVAL;
    size_t mlen = (size_t)(sp1 - buf);
    const char *target = sp1 + 1;
    const char *sp2 = memchr(target, ' ', line - mlen - 1);
    if (!sp2)
        return -EINVAL;
    size_t tlen = (size_t)(sp2 - target);
    const char *version = sp2 + 1;
    size_t vlen = line - mlen - tlen - 2;
    if (vlen != 8 || memcmp(version, "HTTP/1.", 7) != 0 || version[7] < '0' || version[7] > '9')
        return -EINVAL;
    for (size_t i = 0; i < mlen; i++)
        if (buf[i] < 'A' || buf[i] > 'Z')
            return -EINVAL;
    if (!tlen || target[0] != '/')
        return -EINVAL;
    const char *q = memchr(target, '?', tlen);
    size_t plen = q ? (size_t)(q - target) : tlen;
    for (size_t i = 0; i < tlen; i++)
        if ((unsigned char)target[i] <= ' ' || (unsigned char)target[i] >= 0x7f)
            return -EINVAL;
    if (mlen >= HTTP_METHOD_MAX || plen >= HTTP_PATH_MAX)
        return -E2BIG;
    memcpy(ret->method, buf, mlen);
    ret->method[mlen] = '\0';
    memcpy(ret->path, target, plen);
    ret->path[plen] = '\0';
    return 1;
}
