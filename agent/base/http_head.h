/* http_head.h - the head of an HTTP/1.x request, as the agent's endpoint reads it.
 *
 * Owns: telling whether the bytes a client sent so far hold a whole request head (up to the
 * empty line), and reading its request line: the method and the path of the target (the
 * query cut off). Pure: no I/O, no allocation. Anything that is not a well-formed request
 * line is refused; header lines are not interpreted (the endpoint needs none).
 */
#ifndef KSCMP_HTTP_HEAD_H
#define KSCMP_HTTP_HEAD_H

#include <stddef.h>

#define HTTP_METHOD_MAX 16
#define HTTP_PATH_MAX 256

struct http_request {
    char method[HTTP_METHOD_MAX];
    char path[HTTP_PATH_MAX];
};

/* 1 and *ret when buf[0..len) holds a whole head ("\r\n\r\n" or "\n\n" ends it); 0 when more
 * must come; -EINVAL for a malformed request line (method not an upper-case token, target
 * not starting with '/', version not HTTP/1.x, control bytes); -E2BIG for a method or path
 * longer than its buffer. *ret is written only when 1 is returned. */
int http_head_parse(const char *buf, size_t len, struct http_request *ret);

#endif
