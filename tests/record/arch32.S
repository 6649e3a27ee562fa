/* arch32.S - a 32-bit x86 program (int $0x80): getpid, write "x86ok\n", exit 5. Shows that
 * `kscmp record` files a 32-bit child's calls under x86, not x86_64. */
    .text
    .globl _start
_start:
    movl $20, %eax          /* getpid */
    int $0x80
    movl $4, %eax           /* write(1, msg, 6) */
    movl $1, %ebx
    movl $msg, %ecx
    movl $6, %edx
    int $0x80
    movl $1, %eax           /* exit(5) */
    movl $5, %ebx
    int $0x80
    .data
msg:
    .ascii "x86ok\n"
