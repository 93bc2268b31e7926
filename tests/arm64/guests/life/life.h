/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The "life" guest's layout and protocol, shared by its code (life.S), its
 * manifest (tests/arm64/guests/meson.build) and the stand-in host that runs
 * it (tests/arm64/host/test_vm_smp.c).
 */
#ifndef KCORE_GUEST_LIFE_H
#define KCORE_GUEST_LIFE_H

#define LIFE_BASE	   0x80000000 /* its image, and the start of its RAM */
#define LIFE_RAM	   0x00400000 /* 4 MiB of RAM from LIFE_BASE: two 2 MiB regions */
#define LIFE_PAGE	   0x80100000 /* a 4 KiB page it faults in, shares and takes back */
#define LIFE_BLOCK	   0x80200000 /* a 2 MiB region it faults in (the host backs it with a block) */
#define LIFE_BLOCK_SIZE	   0x00200000
#define LIFE_FLAG	   0x80200040 /* where vCPU 0 and vCPU 1 meet (inside the block) */
#define LIFE_UART	   0x09000000 /* the UART page it guards (a PL011's data register at 0) */

/* What it stores: LIFE_PAGE[0] and the block's last word; the host's answer at LIFE_PAGE[1]. */
#define LIFE_PAGE_MAGIC	   0x6c6966652d706721
#define LIFE_HOST_REPLY	   0x686f73742d6f6b21
/* vCPU 1's context id, from vCPU 0's CPU_ON. */
#define LIFE_CTX	   0x5ec0

/*
 * Forwarded calls (SiP ids kcore does not answer: CALL exits, no argument
 * shown) that tell the host where the guest is: "the page is shared, read
 * it and answer in its second word", "the page is mine again, try it".
 */
#define LIFE_CALL_SHARED   0xC2000011
#define LIFE_CALL_UNSHARED 0xC2000012

#endif
