/* bpf_blob.S - the syscall recorder's eBPF object file (built from bpf/syscall_record.bpf.c),
 * carried in the binary as bytes for node/bpf_record.c. */
    .section .rodata
    .balign 8
    .global kscmp_syscall_record_bpf
    .global kscmp_syscall_record_bpf_end
kscmp_syscall_record_bpf:
    .incbin "syscall_record.bpf.o"
kscmp_syscall_record_bpf_end:
    .section .note.GNU-stack,"",@progbits
