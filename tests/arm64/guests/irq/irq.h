/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The "irq" guest's layout, shared by its code (irq.S) and the stand-in
 * host that runs it (tests/arm64/host/test_irq.c).
 */
#ifndef KCORE_GUEST_IRQ_H
#define KCORE_GUEST_IRQ_H

#define IRQ_BASE      0x80000000 /* its image, and the start of its RAM */
#define IRQ_UART      0x09000000 /* the UART page it guards (data register at 0) */
#define IRQ_UART_SPI  33	 /* the UART's interrupt, as the host's distributor names it */
#define IRQ_TIMER_PPI 27	 /* the virtual timer's */

#endif
