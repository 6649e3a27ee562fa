/* oddcalls.S - an x86_64 program making calls a recorder must not drop: an x32 getpid
 * (number 39 with bit 0x40000000; ENOSYS when the kernel lacks x32, but seccomp sees it
 * first), and number 1000, which no architecture has. Then exit_group(0). */
    .text
    .globl _start
_start:
    movq $0x40000027, %rax  /* x32 getpid */
    syscall
    movq $1000, %rax        /* no such syscall */
    syscall
    movq $231, %rax         /* exit_group(0) */
    xorq %rdi, %rdi
    syscall
