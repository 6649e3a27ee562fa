/* pod_cgroups.c - the kubelet's pod and container cgroups, by id. */
#include "node/pod_cgroups.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

struct pod_entry {
    uint64_t id;
    char uid[40];
};

struct container_entry {
    uint64_t id;
    char uid[40]; /* its pod's */
    char name[96];
};

struct pod_cgroups {
    char *hier;     /* the hierarchy's folder */
    char *kubepods; /* configured, relative to hier; NULL: found */
    char *found;    /* the kubepods folder of the last scan (absolute), or NULL */
    bool v2;
    uint64_t anchors[8];
    size_t nanchors;
    struct pod_entry *pods;
    size_t npods;
    struct container_entry *containers;
    size_t ncontainers, capcontainers;
};

void pod_cgroups_free(struct pod_cgroups *pc)
{
    if (!pc)
        return;
    free(pc->hier);
    free(pc->kubepods);
    free(pc->found);
    free(pc->pods);
    free(pc->containers);
    free(pc);
}

int pod_cgroups_open(const char *root, const char *kubepods, struct pod_cgroups **ret,
                     struct kerr *err)
{
    struct statfs fs;
    if (statfs(root, &fs) < 0)
        return kerr_set(err, -errno, "%s: %s", root, strerror(errno));
    _cleanup_(pod_cgroups_freep) struct pod_cgroups *pc = calloc(1, sizeof(*pc));
    if (!pc)
        return kerr_set(err, -ENOMEM, "out of memory");
    pc->v2 = (unsigned long)fs.f_type == CGROUP2_SUPER_MAGIC;
    if (pc->v2)
        pc->hier = strdup(root);
    else if (asprintf(&pc->hier, "%s/memory", root) < 0)
        pc->hier = NULL;
    if (!pc->hier || (kubepods && !(pc->kubepods = strdup(kubepods))))
        return kerr_set(err, -ENOMEM, "out of memory");
    if (!pc->v2 && (statfs(pc->hier, &fs) < 0 || (unsigned long)fs.f_type != CGROUP_SUPER_MAGIC))
        return kerr_set(err, -ENOTSUP,
                        "%s is neither a cgroup2 nor a cgroup v1 root with the memory "
                        "controller at %s",
                        root, pc->hier);
    *ret = TAKE_PTR(pc);
    return 0;
}

bool pod_cgroups_v2(const struct pod_cgroups *pc)
{
    return pc->v2;
}

const char *pod_cgroups_path(const struct pod_cgroups *pc)
{
    return pc->found ? pc->found : pc->hier;
}

int pod_cgroups_parse_pod_dir(const char *name, char *buf, size_t len)
{
    const char *uid;
    size_t n;
    size_t l = strlen(name);
    if (strncmp(name, "pod", 3) == 0) {
        uid = name + 3;
        n = l - 3;
    } else if (l > 6 && strcmp(name + l - 6, ".slice") == 0 && strstr(name, "-pod")) {
        const char *p = strstr(name, "-pod");
        const char *next;
        while ((next = strstr(p + 1, "-pod")))
            p = next;
        uid = p + 4;
        n = (size_t)(name + l - 6 - uid);
    } else {
        return -EINVAL;
    }
    if (n == 0 || n >= len || n > 36)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        char c = uid[i];
        if (c == '_')
            c = '-';
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-'))
            return -EINVAL;
        buf[i] = c;
    }
    buf[n] = '\0';
    return 0;
}

/* "cri-containerd-<id>.scope" -> "<id>", "crio-<id>.scope" -> "<id>", "<id>" -> "<id>". */
static void container_name(const char *dir, char *buf, size_t len)
{
    static const char *const prefixes[] = {"cri-containerd-", "crio-", "docker-", "cri-o-"};
    for (size_t i = 0; i < ELEMENTSOF(prefixes); i++)
        if (strncmp(dir, prefixes[i], strlen(prefixes[i])) == 0) {
            dir += strlen(prefixes[i]);
            break;
        }
    snprintf(buf, len, "%s", dir);
    size_t l = strlen(buf);
    if (l > 6 && strcmp(buf + l - 6, ".scope") == 0)
        buf[l - 6] = '\0';
}

static int id_of(int dirfd, const char *name, uint64_t *ret)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    if (!S_ISDIR(st.st_mode))
        return -ENOTDIR;
    *ret = st.st_ino;
    return 0;
}

static int add_container(struct pod_cgroups *pc, uint64_t id, const char *uid, const char *dir)
{
    if (pc->ncontainers == pc->capcontainers) {
        size_t cap = pc->capcontainers ? pc->capcontainers * 2 : 64;
        struct container_entry *v = realloc(pc->containers, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        pc->containers = v;
        pc->capcontainers = cap;
    }
    struct container_entry *c = &pc->containers[pc->ncontainers++];
    c->id = id;
    snprintf(c->uid, sizeof(c->uid), "%s", uid);
    container_name(dir, c->name, sizeof(c->name));
    return 0;
}

/* Reads the pods below one anchor (and their containers). */
static int scan_anchor(struct pod_cgroups *pc, int anchor_fd)
{
    _cleanup_close_ int dup_fd = dup(anchor_fd);
    if (dup_fd < 0)
        return -errno;
    DIR *d = fdopendir(dup_fd);
    if (!d)
        return -errno;
    dup_fd = -1;
    int r = 0;
    for (struct dirent *de; r == 0 && (de = readdir(d));) {
        char uid[40];
        uint64_t id = 0;
        if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
            continue;
        if (pod_cgroups_parse_pod_dir(de->d_name, uid, sizeof(uid)) < 0 ||
            id_of(anchor_fd, de->d_name, &id) < 0)
            continue;
        if (pc->npods >= RECORD_MAX_PODS)
            break;
        pc->pods[pc->npods].id = id;
        snprintf(pc->pods[pc->npods].uid, sizeof(pc->pods[0].uid), "%s", uid);
        pc->npods++;
        /* The pod's own cgroup counts as a container too (a task placed there directly). */
        r = add_container(pc, id, uid, "");
        _cleanup_close_ int pfd = openat(anchor_fd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (r < 0 || pfd < 0)
            continue;
        DIR *pd = fdopendir(pfd);
        if (!pd)
            continue;
        int pfd2 = TAKE_FD(pfd);
        size_t n = 0;
        for (struct dirent *ce; r == 0 && n < RECORD_MAX_CONTAINERS && (ce = readdir(pd));) {
            uint64_t cid = 0;
            if (ce->d_name[0] == '.' || (ce->d_type != DT_DIR && ce->d_type != DT_UNKNOWN) ||
                id_of(pfd2, ce->d_name, &cid) < 0)
                continue;
            r = add_container(pc, cid, uid, ce->d_name);
            n++;
        }
        closedir(pd);
    }
    closedir(d);
    return r;
}

static int cmp_pod(const void *a, const void *b)
{
    const struct pod_entry *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int cmp_container(const void *a, const void *b)
{
    const struct container_entry *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

int pod_cgroups_scan(struct pod_cgroups *pc, struct kerr *err)
{
    pc->nanchors = 0;
    pc->npods = 0;
    pc->ncontainers = 0;
    free(pc->found);
    pc->found = NULL;
    if (!pc->pods && !(pc->pods = calloc(RECORD_MAX_PODS, sizeof(*pc->pods))))
        return kerr_set(err, -ENOMEM, "out of memory");
    _cleanup_close_ int hfd = open(pc->hier, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (hfd < 0)
        return kerr_set(err, -errno, "%s: %s", pc->hier, strerror(errno));
    static const char *const defaults[] = {"kubepods", "kubepods.slice"};
    const char *name = NULL;
    _cleanup_close_ int kfd = -1;
    for (size_t i = 0; i < (pc->kubepods ? 1 : ELEMENTSOF(defaults)) && kfd < 0; i++) {
        name = pc->kubepods ? pc->kubepods : defaults[i];
        kfd = openat(hfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    if (kfd < 0)
        return 0; /* no kubelet (yet): nothing to attribute */
    if (asprintf(&pc->found, "%s/%s", pc->hier, name) < 0) {
        pc->found = NULL;
        return kerr_set(err, -ENOMEM, "out of memory");
    }
    struct stat st;
    if (fstat(kfd, &st) < 0)
        return kerr_set(err, -errno, "%s: %s", pc->found, strerror(errno));
    pc->anchors[pc->nanchors++] = st.st_ino;
    int r = scan_anchor(pc, kfd);
    /* The QoS classes below kubepods: their children are pods too. */
    static const char *const qos[] = {"burstable", "besteffort", "kubepods-burstable.slice",
                                      "kubepods-besteffort.slice"};
    for (size_t i = 0; r == 0 && i < ELEMENTSOF(qos); i++) {
        _cleanup_close_ int qfd = openat(kfd, qos[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (qfd < 0 || fstat(qfd, &st) < 0)
            continue;
        pc->anchors[pc->nanchors++] = st.st_ino;
        r = scan_anchor(pc, qfd);
    }
    if (r < 0)
        return kerr_set(err, r, "%s: %s", pc->found, strerror(-r));
    qsort(pc->pods, pc->npods, sizeof(*pc->pods), cmp_pod);
    qsort(pc->containers, pc->ncontainers, sizeof(*pc->containers), cmp_container);
    return 0;
}

const uint64_t *pod_cgroups_anchors(const struct pod_cgroups *pc, size_t *ret_n)
{
    *ret_n = pc->nanchors;
    return pc->anchors;
}

const char *pod_cgroups_pod_uid(const struct pod_cgroups *pc, uint64_t pod_cgroup)
{
    struct pod_entry key = {.id = pod_cgroup};
    const struct pod_entry *p =
        pc->pods ? bsearch(&key, pc->pods, pc->npods, sizeof(*pc->pods), cmp_pod) : NULL;
    return p ? p->uid : NULL;
}

int pod_cgroups_container(const struct pod_cgroups *pc, uint64_t cgroup, const char **ret_pod_uid,
                          const char **ret_container)
{
    struct container_entry key = {.id = cgroup};
    const struct container_entry *c =
        pc->containers
            ? bsearch(&key, pc->containers, pc->ncontainers, sizeof(*pc->containers), cmp_container)
            : NULL;
    if (!c)
        return -ENOENT;
    *ret_pod_uid = c->uid;
    *ret_container = c->name;
    return 0;
}

int pod_cgroups_foreach(const struct pod_cgroups *pc,
                        int (*cb)(uint64_t cgroup, const char *pod_uid, const char *container,
                                  void *userdata),
                        void *userdata)
{
    for (size_t i = 0; i < pc->ncontainers; i++) {
        int r = cb(pc->containers[i].id, pc->containers[i].uid, pc->containers[i].name, userdata);
        if (r)
            return r;
    }
    return 0;
}
