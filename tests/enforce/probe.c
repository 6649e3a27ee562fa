/* probe.c - a program for containers under tight seccomp profiles (tests/enforce/).
 *
 * Built static without libc (`cc -static -nostdlib -fno-stack-protector`), so that starting it
 * takes no system call but the runtime's execve: under a profile that allows nothing of its
 * own it still shows whether the container runtime got it started.
 *
 *   probe                      writes "started", then ends
 *   probe wait                 writes "started", then waits forever (futex), for `exec`
 *   probe exit                 calls exit(0) and nothing else
 *   probe pause                waits forever in pause (x86_64; ppoll on aarch64) and calls
 *                              nothing else: with `exit`, the program of the start-up tests,
 *                              whose own calls are no member of the runtime's start-up sets
 *   probe NR,A0,A1,... ...     for each such call (decimal numbers; an argument "@TEXT" is a
 *                              pointer to the string TEXT; missing arguments are 0): makes it
 *                              and writes "NR RESULT" (RESULT: the return value, -ERRNO on
 *                              error); a call the profile kills ends the probe there
 *
 * Output goes to stdout with write(2), the one call it needs (the runtimes' start-up sets hold
 * it). It ends with exit_group(0); where that is refused, with an invalid instruction
 * (SIGILL), which the tests accept as an ending too.
 */
#if !defined(__x86_64__) && !defined(__aarch64__)
#error "probe.c: x86_64 and aarch64 only"
#endif

typedef unsigned long u64;

static long sys6(long nr, long a, long b, long c, long d, long e, long f)
{
#if defined(__x86_64__)
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
#else
    register long x8 __asm__("x8") = nr;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc 0"
                     : "+r"(x0)
                     : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                     : "memory");
    return x0;
#endif
}

#if defined(__x86_64__)
enum { NR_WRITE = 1, NR_EXIT = 60, NR_EXIT_GROUP = 231, NR_FUTEX = 202, NR_PAUSE = 34 };
#else
enum { NR_WRITE = 64, NR_EXIT = 93, NR_EXIT_GROUP = 94, NR_FUTEX = 98, NR_PAUSE = 73 /* ppoll */ };
#endif

static u64 slen(const char *s)
{
    u64 n = 0;
    while (s[n])
        n++;
    return n;
}

static void out(const char *s)
{
    sys6(NR_WRITE, 1, (long)s, (long)slen(s), 0, 0, 0);
}

/* Decimal, with an optional '-', or "@TEXT" (a pointer to TEXT, cut at the next ','); stops
 * after the ',' or at the end. */
static long parse(char **p)
{
    long sign = 1, v = 0;
    if (**p == '@') {
        char *text = ++*p;
        while (**p && **p != ',')
            (*p)++;
        if (**p == ',')
            *(*p)++ = '\0';
        return (long)text;
    }
    if (**p == '-') {
        sign = -1;
        (*p)++;
    }
    while (**p >= '0' && **p <= '9')
        v = v * 10 + (*(*p)++ - '0');
    if (**p == ',')
        (*p)++;
    return sign * v;
}

static char *fmt(char *end, long v)
{
    u64 u = v < 0 ? (u64)-v : (u64)v;
    *--end = '\0';
    do
        *--end = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--end = '-';
    return end;
}

static void finish(void)
{
    sys6(NR_EXIT_GROUP, 0, 0, 0, 0, 0, 0);
    for (;;)
        __builtin_trap();
}

static int futex_word;

static void probe_main(long argc, char **argv)
{
    if (argc == 2 && argv[1][0] == 'e') { /* exit */
        sys6(NR_EXIT, 0, 0, 0, 0, 0, 0);
        __builtin_trap();
    }
    if (argc == 2 && argv[1][0] == 'p') { /* pause */
        for (;;)
            if (sys6(NR_PAUSE, 0, 0, 0, 0, 0, 0) == -1 /* EPERM: refused */)
                __builtin_trap();
    }
    out("started\n");
    if (argc == 2 && argv[1][0] == 'w') { /* wait */
        for (;;) {
            long r = sys6(NR_FUTEX, (long)&futex_word, 0 /* FUTEX_WAIT */, 0, 0, 0, 0);
            if (r < 0 && r != -4 /* EINTR */ && r != -11 /* EAGAIN */)
                finish(); /* refused: do not spin */
        }
    }
    for (long i = 1; i < argc; i++) {
        char *p = argv[i];
        long nr = parse(&p), a[6] = {0};
        for (int k = 0; k < 6 && *p; k++)
            a[k] = parse(&p);
        long r = sys6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        char buf[64], line[160];
        char *n = fmt(buf + 32, nr), *v = fmt(buf + 64, r);
        u64 o = 0;
        for (const char *s = n; *s; s++)
            line[o++] = *s;
        line[o++] = ' ';
        for (const char *s = v; *s; s++)
            line[o++] = *s;
        line[o++] = '\n';
        line[o] = '\0';
        out(line);
    }
    finish();
}

/* The kernel enters here with the stack pointer at argc. */
#if defined(__x86_64__)
__asm__(".globl _start\n_start:\n"
        "  mov (%rsp), %rdi\n"
        "  lea 8(%rsp), %rsi\n"
        "  and $-16, %rsp\n"
        "  call probe_start\n"
        "  ud2\n");
#else
__asm__(".globl _start\n_start:\n"
        "  ldr x0, [sp]\n"
        "  add x1, sp, #8\n"
        "  bl probe_start\n"
        "  brk #0\n");
#endif

void probe_start(long argc, char **argv)
{
    probe_main(argc, argv);
}
