/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The "hello" guest's layout, shared by its code (hello.S), its link
 * script, its manifest (meson.build) and the stand-in host that runs it.
 */
#ifndef KCORE_GUEST_HELLO_H
#define KCORE_GUEST_HELLO_H

#define HELLO_BASE   0x80000000 /* its image, and the start of its RAM */
#define HELLO_RAM    0x00200000 /* 2 MiB of RAM from HELLO_BASE */
#define HELLO_FRESH  0x80100000 /* a page of that RAM outside the image */
#define HELLO_UART   0x09000000 /* the UART page it guards (a PL011's data register at 0) */

/* Canaries the guest keeps in x19..x28 and V0..V31: HELLO_CANARY | n, n < 0xf000. */
#define HELLO_CANARY 0x5ec2e75ec2e70000

#endif
