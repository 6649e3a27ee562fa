/* bpf_record.c - loads, pins, takes over and reads the syscall recorder's eBPF program. */
#include "node/bpf_record.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/types.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "engine/arch.h"
#include "node/bpf/syscall_record_abi.h"

/* The program's object file, built from node/bpf/syscall_record.bpf.c (node/bpf_blob.S). */
extern const char kscmp_syscall_record_bpf[];
extern const char kscmp_syscall_record_bpf_end[];

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

/* The pinned maps, by name in the object and in the pin folder. */
enum { M_PODS, M_ANCHORS, M_IGNORED, M_META, M_STATS, M_OWNERS, M__COUNT };
static const char *const map_names[M__COUNT] = {"pods", "anchors", "ignored",
                                                "meta", "stats",   "owners"};

struct old_entry {
    uint64_t cgroup;
    struct sysrec_pod v;
};

struct bpf_recorder {
    struct bpf_object *obj; /* NULL when taken over from pins */
    struct bpf_link *link;  /* ours; NULL when taken over */
    int link_fd;            /* taken over: the pinned link */
    int fds[M__COUNT];
    char *pin_dir;
    bool pinned;
    int arch_of_class[SYSREC_CLASSES];
    uint64_t loaded_at;
    struct old_entry *old; /* what a replaced program had gathered */
    size_t nold;
};

/* libbpf's last warning, for error messages (libbpf's print hook is process-wide). */
static char libbpf_last[512];

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
    if (level == LIBBPF_DEBUG)
        return 0;
    char line[512];
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    if (n > 0) {
        while (n > 0 && (line[n - 1] == '\n' || (size_t)n >= sizeof(line)))
            line[--n] = '\0';
        snprintf(libbpf_last, sizeof(libbpf_last), "%s", line);
    }
    return 0;
}

static uint64_t boottime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void init_arches(struct bpf_recorder *r, int native)
{
    r->arch_of_class[SYSREC_NATIVE] = native;
    r->arch_of_class[SYSREC_COMPAT] = -1;
    r->arch_of_class[SYSREC_X32] = -1;
    const char *name = arch_get((size_t)native)->name;
    if (strcmp(name, "x86_64") == 0) {
        r->arch_of_class[SYSREC_COMPAT] = arch_parse("x86");
        r->arch_of_class[SYSREC_X32] = arch_parse("x32");
    } else if (strcmp(name, "aarch64") == 0) {
        r->arch_of_class[SYSREC_COMPAT] = arch_parse("arm");
    }
}

static void close_fds(struct bpf_recorder *r)
{
    for (int i = 0; i < M__COUNT; i++) {
        if (r->fds[i] >= 0 && !r->obj)
            close(r->fds[i]);
        r->fds[i] = -1;
    }
}

static void pin_path(const struct bpf_recorder *r, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", r->pin_dir, name);
}

static void unpin_all(const struct bpf_recorder *r)
{
    char path[4096];
    pin_path(r, "link", path, sizeof(path));
    unlink(path);
    for (int i = 0; i < M__COUNT; i++) {
        pin_path(r, map_names[i], path, sizeof(path));
        unlink(path);
    }
}

/* Reads every entry of a pods map into r->old (a replaced program's, or stale pins'). */
static int keep_old(struct bpf_recorder *r, int pods_fd)
{
    uint64_t key, prev = 0;
    bool first = true;
    while (bpf_map_get_next_key(pods_fd, first ? NULL : &prev, &key) == 0) {
        struct old_entry *v = realloc(r->old, (r->nold + 1) * sizeof(*v));
        if (!v)
            return -ENOMEM;
        r->old = v;
        if (bpf_map_lookup_elem(pods_fd, &key, &r->old[r->nold].v) == 0) {
            r->old[r->nold].cgroup = key;
            r->nold++;
        }
        prev = key;
        first = false;
        if (r->nold > 65536)
            break; /* more than any map of ours holds: not ours */
    }
    return 0;
}

/* Takes over a pinned program of our layout and mode: 1 when done. 0 when there is none to
 * take over: then *ret_old_pods and *ret_old_owners (or -1) are the maps of other or stale
 * pins and *ret_old_link (or -1) their link, both still open so that it keeps recording until ours
 * is attached; the caller reads and closes them after that. */
static int take_over(struct bpf_recorder *r, bool use_v2, int *ret_old_pods, int *ret_old_owners,
                     int *ret_old_link)
{
    char path[4096];
    int fds[M__COUNT];
    for (int i = 0; i < M__COUNT; i++) {
        pin_path(r, map_names[i], path, sizeof(path));
        fds[i] = bpf_obj_get(path);
    }
    pin_path(r, "link", path, sizeof(path));
    int link = bpf_obj_get(path);
    struct sysrec_meta m = {0};
    uint32_t k0 = 0;
    bool ours = link >= 0 && fds[M_META] >= 0 && bpf_map_lookup_elem(fds[M_META], &k0, &m) == 0 &&
                m.abi_version == SYSREC_ABI_VERSION && m.use_v2 == (use_v2 ? 1u : 0u);
    for (int i = 0; ours && i < M__COUNT; i++)
        ours = fds[i] >= 0;
    if (ours) {
        memcpy(r->fds, fds, sizeof(fds));
        r->link_fd = link;
        r->loaded_at = m.loaded_at_ns;
        r->pinned = true;
        return 1;
    }
    for (int i = 0; i < M__COUNT; i++)
        if (fds[i] >= 0 && i != M_PODS && i != M_OWNERS)
            close(fds[i]);
    *ret_old_pods = fds[M_PODS];
    *ret_old_owners = fds[M_OWNERS];
    *ret_old_link = link;
    return 0;
}

/* Carries a replaced program's owner notes over into ours. */
static void copy_owners(struct bpf_recorder *r, int old_owners)
{
    uint64_t key, prev = 0;
    bool first = true;
    struct sysrec_owner o;
    for (int n = 0; n < 65536 && bpf_map_get_next_key(old_owners, first ? NULL : &prev, &key) == 0;
         n++) {
        if (bpf_map_lookup_elem(old_owners, &key, &o) == 0)
            bpf_map_update_elem(r->fds[M_OWNERS], &key, &o, BPF_ANY);
        prev = key;
        first = false;
    }
}

static int load(struct bpf_recorder *r, bool use_v2, struct kerr *err)
{
    size_t size = (size_t)(kscmp_syscall_record_bpf_end - kscmp_syscall_record_bpf);
    LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = "kscmp_sysrec");
    r->obj = bpf_object__open_mem(kscmp_syscall_record_bpf, size, &oo);
    if (!r->obj) {
        r->obj = NULL;
        return kerr_set(err, -errno, "cannot open the recorder's eBPF object: %s",
                        libbpf_last[0] ? libbpf_last : strerror(errno));
    }
    struct bpf_program *want = NULL, *p;
    bpf_object__for_each_program(p, r->obj)
    {
        bool mine =
            strcmp(bpf_program__name(p), use_v2 ? "kscmp_sys_enter_v2" : "kscmp_sys_enter_v1") == 0;
        bpf_program__set_autoload(p, mine);
        if (mine)
            want = p;
    }
    if (!want)
        return kerr_set(err, -ENOENT, "the recorder's eBPF object lacks its program");
    libbpf_last[0] = '\0';
    int e = bpf_object__load(r->obj);
    if (e < 0)
        return kerr_set(err, e,
                        "cannot load the recorder's eBPF program (Linux 5.12 or later with BTF, "
                        "CAP_BPF and CAP_PERFMON are needed): %s",
                        libbpf_last[0] ? libbpf_last : strerror(-e));
    for (int i = 0; i < M__COUNT; i++) {
        struct bpf_map *m = bpf_object__find_map_by_name(r->obj, map_names[i]);
        r->fds[i] = m ? bpf_map__fd(m) : -1;
        if (r->fds[i] < 0)
            return kerr_set(err, -ENOENT, "the recorder's eBPF object lacks map %s", map_names[i]);
    }
    r->loaded_at = boottime_ns();
    struct sysrec_meta m = {
        .abi_version = SYSREC_ABI_VERSION, .use_v2 = use_v2 ? 1 : 0, .loaded_at_ns = r->loaded_at};
    uint32_t k0 = 0;
    if (bpf_map_update_elem(r->fds[M_META], &k0, &m, BPF_ANY) < 0)
        return kerr_set(err, -errno, "cannot write the recorder's meta map: %s", strerror(errno));
    r->link = bpf_program__attach(want);
    if (!r->link) {
        r->link = NULL;
        return kerr_set(err, -errno, "cannot attach the recorder to raw_syscalls:sys_enter: %s",
                        libbpf_last[0] ? libbpf_last : strerror(errno));
    }
    return 0;
}

static int pin(struct bpf_recorder *r, struct kerr *err)
{
    char path[4096];
    for (int i = 0; i < M__COUNT; i++) {
        pin_path(r, map_names[i], path, sizeof(path));
        if (bpf_obj_pin(r->fds[i], path) < 0) {
            int e = errno;
            unpin_all(r);
            return kerr_set(err, -e, "cannot pin %s: %s", path, strerror(e));
        }
    }
    pin_path(r, "link", path, sizeof(path));
    if (bpf_link__pin(r->link, path) < 0) {
        int e = errno;
        unpin_all(r);
        return kerr_set(err, -e, "cannot pin %s: %s", path, strerror(e));
    }
    r->pinned = true;
    return 0;
}

/* The folder for pins: created if missing, and it must be in a bpffs. */
static int prepare_pin_dir(const char *dir, struct kerr *err)
{
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return kerr_set(err, -errno, "%s: cannot create: %s", dir, strerror(errno));
    struct statfs fs;
    if (statfs(dir, &fs) < 0)
        return kerr_set(err, -errno, "%s: %s", dir, strerror(errno));
    if ((unsigned long)fs.f_type != BPF_FS_MAGIC)
        return kerr_set(err, -ENOTSUP,
                        "%s is not in a bpffs (mount one at /sys/fs/bpf on the node), so what is "
                        "recorded cannot outlive the agent",
                        dir);
    return 0;
}

int bpf_recorder_open(const struct bpf_recorder_opts *o, struct bpf_recorder **ret,
                      enum bpf_recorder_start *ret_start, struct kerr *err)
{
    libbpf_set_print(libbpf_print);
    int native = o->native_arch >= 0 ? o->native_arch : arch_native();
    if (native < 0)
        return kerr_set(err, -ENOTSUP, "this machine's architecture is unknown to kscmp");
    _cleanup_(bpf_recorder_closep) struct bpf_recorder *r = calloc(1, sizeof(*r));
    if (!r)
        return kerr_set(err, -ENOMEM, "out of memory");
    r->link_fd = -1;
    for (int i = 0; i < M__COUNT; i++)
        r->fds[i] = -1;
    init_arches(r, native);
    enum bpf_recorder_start start = BPFREC_LOADED;
    _cleanup_close_ int old_pods = -1, old_owners = -1, old_link = -1;
    if (o->pin_dir) {
        int e = prepare_pin_dir(o->pin_dir, err);
        if (e < 0)
            return e;
        if (!(r->pin_dir = strdup(o->pin_dir)))
            return kerr_set(err, -ENOMEM, "out of memory");
        if (take_over(r, o->use_v2, &old_pods, &old_owners, &old_link) == 1) {
            *ret_start = BPFREC_REUSED;
            *ret = TAKE_PTR(r);
            return 0;
        }
        if (old_pods >= 0 || old_link >= 0)
            start = BPFREC_REPLACED;
    }
    int e = load(r, o->use_v2, err);
    if (e < 0)
        return e;
    /* Ours records now: what the replaced one gathered is read after, so nothing falls in
     * between (both record meanwhile); then it may stop. */
    if (old_pods >= 0 && (e = keep_old(r, old_pods)) < 0)
        return kerr_set(err, e, "%s: cannot read the replaced recorder: %s", o->pin_dir,
                        strerror(-e));
    if (old_owners >= 0)
        copy_owners(r, old_owners);
    if (r->pin_dir) {
        unpin_all(r);
        if ((e = pin(r, err)) < 0)
            return e;
    }
    *ret_start = start;
    *ret = TAKE_PTR(r);
    return 0;
}

void bpf_recorder_close(struct bpf_recorder *r)
{
    if (!r)
        return;
    /* Closing our descriptor of a pinned link leaves it attached; of an unpinned one, detaches
     * it. */
    if (r->link)
        bpf_link__destroy(r->link);
    if (r->link_fd >= 0)
        close(r->link_fd);
    close_fds(r);
    bpf_object__close(r->obj);
    free(r->pin_dir);
    free(r->old);
    free(r);
}

void bpf_recorder_destroy(struct bpf_recorder *r)
{
    if (!r)
        return;
    if (r->pin_dir)
        unpin_all(r);
    r->pinned = false;
    bpf_recorder_close(r); /* the last reference to the link goes: it detaches */
}

bool bpf_recorder_pinned(const struct bpf_recorder *r)
{
    return r->pinned;
}

uint64_t bpf_recorder_loaded_at(const struct bpf_recorder *r)
{
    return r->loaded_at;
}

int bpf_recorder_set_anchors(struct bpf_recorder *r, const uint64_t *ids, size_t n)
{
    int fd = r->fds[M_ANCHORS];
    uint8_t one = SYSREC_ANCHOR_POD_PARENT;
    for (size_t i = 0; i < n; i++)
        if (bpf_map_update_elem(fd, &ids[i], &one, BPF_ANY) < 0)
            return -errno;
    /* Remove the ones no longer wanted. */
    uint64_t key, prev = 0;
    bool first = true;
    uint64_t stale[64];
    size_t nstale = 0;
    while (nstale < 64 && bpf_map_get_next_key(fd, first ? NULL : &prev, &key) == 0) {
        bool keep = false;
        for (size_t i = 0; i < n && !keep; i++)
            keep = ids[i] == key;
        if (!keep)
            stale[nstale++] = key;
        prev = key;
        first = false;
    }
    for (size_t i = 0; i < nstale; i++)
        bpf_map_delete_elem(fd, &stale[i]);
    /* Tasks cache what their walk found: a new generation makes them walk again. */
    struct sysrec_meta m;
    uint32_t k0 = 0;
    if (bpf_map_lookup_elem(r->fds[M_META], &k0, &m) == 0) {
        m.anchors_gen++;
        bpf_map_update_elem(r->fds[M_META], &k0, &m, BPF_ANY);
    }
    return 0;
}

/* The entry's bits and others as a struct recorded. */
static int to_recorded(const struct bpf_recorder *r, const struct sysrec_pod *v,
                       struct recorded **ret)
{
    _cleanup_(recorded_freep) struct recorded *rec = NULL;
    int e = recorded_new(&rec);
    if (e < 0)
        return e;
    for (int c = 0; c < SYSREC_CLASSES; c++) {
        int arch = r->arch_of_class[c];
        for (int w = 0; w < SYSREC_WORDS; w++) {
            uint64_t bits = v->bits[c][w];
            while (bits) {
                int b = __builtin_ctzll(bits);
                bits &= bits - 1;
                if (arch >= 0 && (e = recorded_add_number(rec, arch, (uint32_t)(w * 64 + b))) < 0 &&
                    e != -E2BIG)
                    return e;
            }
        }
    }
    for (int i = 0; i < SYSREC_OTHERS; i++) {
        if (!v->others[i])
            continue;
        uint64_t k = v->others[i] - 1;
        int c = (int)(k >> 32);
        int arch = c >= 0 && c < SYSREC_CLASSES ? r->arch_of_class[c] : -1;
        if (arch >= 0 && (e = recorded_add_number(rec, arch, (uint32_t)k)) < 0 && e != -E2BIG)
            return e;
    }
    *ret = TAKE_PTR(rec);
    return 0;
}

static int report(const struct bpf_recorder *r, uint64_t cgroup, const struct sysrec_pod *v,
                  bool old, int (*cb)(const struct bpf_recorder_entry *e, void *userdata),
                  void *userdata)
{
    char pod_name[sizeof(v->pod_name)];
    memcpy(pod_name, v->pod_name, sizeof(pod_name));
    pod_name[sizeof(pod_name) - 1] = '\0';
    struct bpf_recorder_entry e = {.cgroup = cgroup,
                                   .pod = v->pod ? v->pod : cgroup,
                                   .others_full = v->others_full != 0,
                                   .from_old = old,
                                   .pod_name = pod_name};
    int ret = to_recorded(r, v, &e.calls);
    if (ret < 0)
        return ret;
    ret = cb(&e, userdata);
    recorded_free(e.calls);
    return ret;
}

int bpf_recorder_foreach(struct bpf_recorder *r,
                         int (*cb)(const struct bpf_recorder_entry *e, void *userdata),
                         void *userdata)
{
    for (size_t i = 0; i < r->nold; i++) {
        int ret = report(r, r->old[i].cgroup, &r->old[i].v, true, cb, userdata);
        if (ret)
            return ret;
    }
    int fd = r->fds[M_PODS];
    uint64_t key, prev = 0;
    bool first = true;
    struct sysrec_pod v;
    while (bpf_map_get_next_key(fd, first ? NULL : &prev, &key) == 0) {
        if (bpf_map_lookup_elem(fd, &key, &v) == 0) {
            int ret = report(r, key, &v, false, cb, userdata);
            if (ret)
                return ret;
        }
        prev = key;
        first = false;
    }
    return 0;
}

int bpf_recorder_set_owner(struct bpf_recorder *r, uint64_t cgroup, const char *recording_uid,
                           const char *pod_uid)
{
    struct sysrec_owner o;
    memset(&o, 0, sizeof(o));
    snprintf(o.recording_uid, sizeof(o.recording_uid), "%s", recording_uid);
    snprintf(o.pod_uid, sizeof(o.pod_uid), "%s", pod_uid);
    if (bpf_map_update_elem(r->fds[M_OWNERS], &cgroup, &o, BPF_ANY) < 0)
        return -errno;
    return 0;
}

int bpf_recorder_owner(struct bpf_recorder *r, uint64_t cgroup, char *ret_recording_uid,
                       char *ret_pod_uid)
{
    struct sysrec_owner o;
    if (bpf_map_lookup_elem(r->fds[M_OWNERS], &cgroup, &o) < 0)
        return -ENOENT;
    o.recording_uid[sizeof(o.recording_uid) - 1] = '\0';
    o.pod_uid[sizeof(o.pod_uid) - 1] = '\0';
    memcpy(ret_recording_uid, o.recording_uid, sizeof(o.recording_uid));
    memcpy(ret_pod_uid, o.pod_uid, sizeof(o.pod_uid));
    return 0;
}

/* Deletes the entries of the map fd (keyed by cgroup id) keep() does not want: at most 256 a
 * call (the rest at the next). */
static void prune_map(int fd, bool (*keep)(uint64_t cgroup, void *userdata), void *userdata)
{
    uint64_t key, prev = 0, drop[256];
    size_t ndrop = 0;
    bool first = true;
    for (int n = 0; n < 65536 && ndrop < ELEMENTSOF(drop) &&
                    bpf_map_get_next_key(fd, first ? NULL : &prev, &key) == 0;
         n++) {
        if (!keep(key, userdata))
            drop[ndrop++] = key;
        prev = key;
        first = false;
    }
    for (size_t i = 0; i < ndrop; i++)
        bpf_map_delete_elem(fd, &drop[i]);
}

void bpf_recorder_prune_owners(struct bpf_recorder *r,
                               bool (*keep)(uint64_t cgroup, void *userdata), void *userdata)
{
    prune_map(r->fds[M_OWNERS], keep, userdata);
}

void bpf_recorder_prune_ignored(struct bpf_recorder *r,
                                bool (*keep)(uint64_t cgroup, void *userdata), void *userdata)
{
    prune_map(r->fds[M_IGNORED], keep, userdata);
}

void bpf_recorder_forget_old(struct bpf_recorder *r, uint64_t cgroup)
{
    for (size_t i = 0; i < r->nold; i++)
        if (r->old[i].cgroup == cgroup) {
            r->old[i] = r->old[--r->nold];
            break;
        }
}

int bpf_recorder_forget(struct bpf_recorder *r, uint64_t cgroup, bool ignore)
{
    bpf_map_delete_elem(r->fds[M_OWNERS], &cgroup);
    bpf_recorder_forget_old(r, cgroup);
    if (ignore) {
        uint8_t one = 1;
        bpf_map_update_elem(r->fds[M_IGNORED], &cgroup, &one, BPF_ANY);
    }
    if (bpf_map_delete_elem(r->fds[M_PODS], &cgroup) < 0 && errno != ENOENT)
        return -errno;
    return 0;
}

int bpf_recorder_unignore(struct bpf_recorder *r, uint64_t cgroup)
{
    if (bpf_map_delete_elem(r->fds[M_IGNORED], &cgroup) < 0 && errno != ENOENT)
        return -errno;
    return 0;
}

uint64_t bpf_recorder_lost(const struct bpf_recorder *r)
{
    struct sysrec_stats s = {0};
    uint32_t k0 = 0;
    bpf_map_lookup_elem(r->fds[M_STATS], &k0, &s);
    return s.pods_full;
}
