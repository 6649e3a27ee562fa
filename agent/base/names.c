/* names.c - "NS/NAME" split in two. */
#include "base/names.h"

#include <errno.h>
#include <string.h>

int ns_name_split(const char *s, struct ns_name *ret)
{
    const char *slash = strchr(s, '/');
    if (!slash) {
        if (!*s)
            return -EINVAL;
        ret->ns[0] = '\0';
        ret->name = s;
        return 0;
    }
    size_t n = (size_t)(slash - s);
    if (n == 0 || n > NAMESPACE_MAX || !slash[1])
        return -EINVAL;
    memcpy(ret->ns, s, n);
    ret->ns[n] = '\0';
    ret->name = slash + 1;
    return 0;
}
