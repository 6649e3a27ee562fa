/* test_pod_cgroups.c - which cgroup folder names are pods' (the kubelet's cgroupfs and systemd
 * drivers), and their UIDs; everything else is refused. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "node/pod_cgroups.h"

static void test_pod_dirs(void **state)
{
    static const struct {
        const char *dir, *uid;
    } good[] = {
        {"pod0b6c2e2a-1f3e-4c0f-9d8e-0123456789ab", "0b6c2e2a-1f3e-4c0f-9d8e-0123456789ab"},
        {"kubepods-burstable-pod0b6c2e2a_1f3e_4c0f_9d8e_0123456789ab.slice",
         "0b6c2e2a-1f3e-4c0f-9d8e-0123456789ab"},
        {"kubepods-besteffort-podab.slice", "ab"},
        {"kubepods-pod12345678_aaaa.slice", "12345678-aaaa"},
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        char uid[40];
        assert_int_equal(pod_cgroups_parse_pod_dir(good[i].dir, uid, sizeof(uid)), 0);
        assert_string_equal(uid, good[i].uid);
    }
    static const char *const bad[] = {
        "burstable",
        "besteffort",
        "kubepods-burstable.slice",
        "pod",
        "podXYZ",
        "pod0b6c2e2a-1f3e-4c0f-9d8e-0123456789ab-extra-characters-here",
        "cri-containerd-0123456789abcdef.scope",
        "pod../etc",
        "kubepods-pod.slice",
        "",
        "podABCDEF",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char uid[40];
        if (pod_cgroups_parse_pod_dir(bad[i], uid, sizeof(uid)) != -EINVAL)
            fail_msg("\"%s\" taken for a pod's folder (%s)", bad[i], uid);
    }
    char small[8];
    assert_int_equal(pod_cgroups_parse_pod_dir("pod0b6c2e2a-1f3e", small, sizeof(small)), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_pod_dirs)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
