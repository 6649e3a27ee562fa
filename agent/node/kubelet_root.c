/* kubelet_root.c - the configured kubelet root against the agent's own mounts. */
#include "node/kubelet_root.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"

/* One mount of the table: device, the path within its filesystem, where it is mounted. */
struct mnt {
    unsigned long id;
    unsigned major, minor;
    char root[PATH_MAX];
    char point[PATH_MAX];
};

/* Copies the space-free field at *p (mountinfo escapes space, tab, newline and backslash as
 * \ooo) into out, decoded; advances *p past it and the spaces after. Returns false when the
 * field is missing or longer than size - 1. */
static bool take_field(const char **p, const char *end, char *out, size_t size)
{
    const char *s = *p;
    size_t n = 0;
    while (s < end && *s == ' ')
        s++;
    if (s >= end)
        return false;
    while (s < end && *s != ' ') {
        char c = *s++;
        if (c == '\\' && end - s >= 3 && s[0] >= '0' && s[0] <= '3' && s[1] >= '0' && s[1] <= '7' &&
            s[2] >= '0' && s[2] <= '7') {
            c = (char)((s[0] - '0') * 64 + (s[1] - '0') * 8 + (s[2] - '0'));
            s += 3;
        }
        if (n + 1 >= size)
            return false;
        out[n++] = c;
    }
    out[n] = '\0';
    *p = s;
    return true;
}

/* Parses one line ("ID PARENT MAJ:MIN ROOT POINT ..."); false when it is not one. */
static bool parse_line(const char *s, const char *end, struct mnt *m)
{
    char field[32];
    char *colon, *rest;
    unsigned long maj, min, id;
    if (!take_field(&s, end, field, sizeof(field)))
        return false;
    errno = 0;
    id = strtoul(field, &rest, 10);
    if (errno || *rest || rest == field)
        return false;
    if (!take_field(&s, end, field, sizeof(field)) || !take_field(&s, end, field, sizeof(field)))
        return false;
    colon = strchr(field, ':');
    if (!colon || colon == field)
        return false;
    errno = 0;
    maj = strtoul(field, &rest, 10);
    if (errno || rest != colon || !colon[1])
        return false;
    min = strtoul(colon + 1, &rest, 10);
    if (errno || *rest || maj > UINT_MAX || min > UINT_MAX)
        return false;
    m->id = id;
    m->major = (unsigned)maj;
    m->minor = (unsigned)min;
    return take_field(&s, end, m->root, sizeof(m->root)) && m->root[0] == '/' &&
           take_field(&s, end, m->point, sizeof(m->point)) && m->point[0] == '/';
}

/* Cuts the last component off path (in place); returns it, or NULL when there is none. */
static const char *cut_last(char *path)
{
    char *slash = strrchr(path, '/');
    if (!slash || !slash[1])
        return NULL;
    *slash = '\0';
    return slash + 1;
}

/* The kubelet root within its filesystem (written to out, "" for the filesystem's own root)
 * from the source of a file the kubelet put in this pod: <root>/pods/<uid>/etc-hosts, or
 * <root>/pods/<uid>/containers/<name>/<id> for the termination log. */
static bool kubelet_root_of(const char *source, bool termination_log, char *out, size_t size)
{
    char path[PATH_MAX];
    const char *c;
    if (strlen(source) >= sizeof(path))
        return false;
    strcpy(path, source);
    if (termination_log) {
        if (!cut_last(path) || !cut_last(path) || !(c = cut_last(path)) || strcmp(c, "containers"))
            return false;
    } else if (!(c = cut_last(path)) || strcmp(c, "etc-hosts")) {
        return false;
    }
    if (!cut_last(path) || !(c = cut_last(path)) || strcmp(c, "pods"))
        return false;
    if (strlen(path) >= size)
        return false;
    strcpy(out, path);
    return true;
}

static int note(char **ret_note, int r, const char *fmt, const char *a, const char *b)
{
    char *s = NULL;
    if (asprintf(&s, fmt, a, b) < 0)
        return -ENOMEM;
    *ret_note = s;
    return r;
}

int kubelet_root_check(const char *mountinfo, size_t len, const char *root, char **ret_note,
                       struct kerr *err)
{
    char want[PATH_MAX], kroot[PATH_MAX] = "";
    _cleanup_free_ struct mnt *m = malloc(sizeof(*m));
    _cleanup_free_ struct mnt *sec = malloc(sizeof(*sec));
    bool have_sec = false, have_root = false, from_hosts = false;
    unsigned kmajor = 0, kminor = 0;
    size_t n;

    if (!m || !sec)
        return -ENOMEM;
    if (len > KUBELET_ROOT_MOUNTINFO_MAX)
        len = KUBELET_ROOT_MOUNTINFO_MAX;
    n = strlen(root);
    while (n > 1 && root[n - 1] == '/')
        n--;
    if (root[0] != '/' || n + sizeof("/seccomp") > sizeof(want))
        return kerr_set(err, -EINVAL, "--kubelet-root %s: not an absolute path", root);
    snprintf(want, sizeof(want), "%.*s/seccomp", (int)n, root);

    for (const char *s = mountinfo, *end = mountinfo + len; s < end;) {
        const char *eol = memchr(s, '\n', (size_t)(end - s));
        const char *line_end = eol ? eol : end;
        if (parse_line(s, line_end, m)) {
            bool hosts = strcmp(m->point, "/etc/hosts") == 0;
            bool tlog = !hosts && strcmp(m->point, "/dev/termination-log") == 0;
            if (!strcmp(m->point, want)) {
                *sec = *m; /* the last mount on a point is the one seen */
                have_sec = true;
            } else if ((hosts || (tlog && !from_hosts)) &&
                       kubelet_root_of(m->root, tlog, kroot, sizeof(kroot))) {
                have_root = true;
                from_hosts = hosts;
                kmajor = m->major;
                kminor = m->minor;
            }
        }
        s = eol ? eol + 1 : end;
    }

    if (!have_root)
        return note(ret_note, 0,
                    "not checked: no file of a kubelet's pods folder is mounted here (not in a "
                    "pod)%s%s",
                    "", "");
    if (!have_sec)
        return note(ret_note, 0,
                    "not checked: %s is not a mount in this container (the kubelet keeps this "
                    "pod in %s/pods)",
                    want, kroot[0] ? kroot : "/");
    if (sec->major != kmajor || sec->minor != kminor)
        return note(ret_note, 0,
                    "not checked: %s and the kubelet's pods folder (%s/pods) are on different "
                    "filesystems",
                    want, kroot);
    if (strlen(kroot) + sizeof("/seccomp") <= sizeof(m->root)) {
        snprintf(m->root, sizeof(m->root), "%s/seccomp", kroot);
        if (!strcmp(sec->root, m->root))
            return note(ret_note, 1,
                        "checked: the kubelet that runs this pod keeps it below %s, "
                        "and %s is its seccomp folder",
                        kroot[0] ? kroot : "/", want);
    }
    return kerr_set(err, -EINVAL,
                    "--kubelet-root %.*s is not this node's kubelet root: the kubelet that runs "
                    "this pod keeps its pods in %s/pods, but the folder mounted at %s is %s "
                    "(both paths within the filesystem of device %u:%u), so profiles written "
                    "there would never be read. Set --kubelet-root (Helm value kubeletRoot, or "
                    "the three /var/lib/kubelet of deploy/03-daemonset.yaml) to the kubelet's "
                    "--root-dir",
                    (int)n, root, kroot, want, sec->root, kmajor, kminor);
}

/* Whether the mount point point is path or a folder above it. */
static bool point_holds(const char *point, const char *path)
{
    size_t n = strlen(point);
    if (n == 1) /* "/" */
        return true;
    return strncmp(point, path, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

int kubelet_mount_of(const char *mountinfo, size_t len, const char *path, struct kubelet_mount *ret)
{
    if (path[0] != '/')
        return -EINVAL;
    _cleanup_free_ struct mnt *m = malloc(sizeof(*m));
    if (!m)
        return -ENOMEM;
    if (len > KUBELET_ROOT_MOUNTINFO_MAX)
        len = KUBELET_ROOT_MOUNTINFO_MAX;
    size_t best = 0;
    bool found = false;
    for (const char *s = mountinfo, *end = mountinfo + len; s < end;) {
        const char *eol = memchr(s, '\n', (size_t)(end - s));
        const char *line_end = eol ? eol : end;
        /* The longest mount point that holds path; on one point, the last mount (the one on
         * top, the one a lookup of the path finds). */
        if (parse_line(s, line_end, m) && point_holds(m->point, path) && strlen(m->point) >= best) {
            best = strlen(m->point);
            found = true;
            ret->id = m->id;
            ret->major = m->major;
            ret->minor = m->minor;
            memcpy(ret->root, m->root, sizeof(ret->root));
            memcpy(ret->point, m->point, sizeof(ret->point));
        }
        s = eol ? eol + 1 : end;
    }
    return found ? 1 : 0;
}

bool kubelet_mount_deleted(const struct kubelet_mount *m)
{
    static const char mark[] = "//deleted";
    size_t n = strlen(m->root);
    return n >= sizeof(mark) - 1 && strcmp(m->root + n - (sizeof(mark) - 1), mark) == 0;
}

bool kubelet_mount_same(const struct kubelet_mount *a, const struct kubelet_mount *b)
{
    return a->id == b->id && a->major == b->major && a->minor == b->minor &&
           strcmp(a->root, b->root) == 0 && strcmp(a->point, b->point) == 0;
}
