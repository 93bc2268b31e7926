/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The stand-in host's PCI: find QEMU's `edu` device (1234:11e8) on bus 0
 * of the generic ECAM host bridge the DTB describes, give its BAR0 an
 * address in the bridge's 32-bit memory window, turn on memory decoding
 * and bus mastering, and run its DMA engine (QEMU hw/misc/edu.c: 0x80
 * source, 0x88 destination, 0x90 count, 0x98 command: bit 0 start, bit 1
 * set = from the device's buffer at 0x40000 to RAM).  The host runs with
 * its MMU off, so every access here is Device memory and RAM is seen as
 * the device sees it: no cache maintenance.
 */
#include <libfdt.h>

#include "host.h"

#define PCI_VENDOR_DEVICE 0x00u
#define PCI_COMMAND	  0x04u
#define PCI_BAR0	  0x10u
#define PCI_CMD_MEM	  (1u << 1)
#define PCI_CMD_MASTER	  (1u << 2)
#define EDU_ID		  0x11e81234u

#define EDU_DMA_SRC	  0x80u
#define EDU_DMA_DST	  0x88u
#define EDU_DMA_CNT	  0x90u
#define EDU_DMA_CMD	  0x98u
#define EDU_DMA_RUN	  1u
#define EDU_DMA_TO_RAM	  2u
/* A DMA takes 100 ms of QEMU's virtual clock (the edu's timer). */
#define EDU_DMA_WAIT_MS	  2000u

static uint64_t cells(const fdt32_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = (v << 32) | fdt32_to_cpu(p[i]);
	return v;
}

static volatile uint32_t *ecam_reg(const struct host_edu *e, unsigned devfn, unsigned reg)
{
	return (volatile uint32_t *)(uintptr_t)(e->ecam + ((uint64_t)devfn << 12) + reg);
}

/* The ECAM window and the 32-bit memory window of the DTB's generic PCIe bridge. */
static bool pci_from_dtb(const void *fdt, uint64_t *ecam, uint64_t *mem32, uint64_t *mem32_size)
{
	int node = fdt_node_offset_by_compatible(fdt, -1, "pci-host-ecam-generic");
	int len, pac, psz;
	const fdt32_t *reg, *ranges;

	if (node < 0)
		return false;
	pac = fdt_address_cells(fdt, fdt_parent_offset(fdt, node));
	psz = fdt_size_cells(fdt, fdt_parent_offset(fdt, node));
	reg = fdt_getprop(fdt, node, "reg", &len);
	if (!reg || len < (pac + psz) * 4 || pac > 2 || psz > 2)
		return false;
	*ecam = cells(reg, pac);
	ranges = fdt_getprop(fdt, node, "ranges", &len);
	/* Each range: 3 PCI address cells, the parent's address, 2 size cells. */
	for (int at = 0; ranges && (at + 3 + pac + 2) * 4 <= len; at += 3 + pac + 2) {
		if (((fdt32_to_cpu(ranges[at]) >> 24) & 3u) == 2u) { /* 32-bit memory */
			*mem32 = cells(&ranges[at + 3], pac);
			*mem32_size = cells(&ranges[at + 3 + pac], 2);
			return true;
		}
	}
	return false;
}

bool edu_find(const void *fdt, struct host_edu *e)
{
	uint64_t mem32, mem32_size;

	if (!pci_from_dtb(fdt, &e->ecam, &mem32, &mem32_size))
		return false;
	for (unsigned devfn = 0; devfn < 256; devfn++) {
		uint32_t size;

		if (*ecam_reg(e, devfn, PCI_VENDOR_DEVICE) != EDU_ID)
			continue;
		/* BAR0's size: write all ones, read back the writable bits. */
		*ecam_reg(e, devfn, PCI_BAR0) = 0xffffffffu;
		size = ~(*ecam_reg(e, devfn, PCI_BAR0) & ~0xfu) + 1u;
		if (size == 0 || size > mem32_size)
			return false;
		e->bar0 = (mem32 + size - 1) & ~(uint64_t)(size - 1);
		*ecam_reg(e, devfn, PCI_BAR0) = (uint32_t)e->bar0;
		*ecam_reg(e, devfn, PCI_COMMAND) |= PCI_CMD_MEM | PCI_CMD_MASTER;
		e->sid = devfn; /* bus 0: the requester id is devfn */
		return true;
	}
	return false;
}

static volatile uint64_t *edu_reg(const struct host_edu *e, unsigned reg)
{
	return (volatile uint64_t *)(uintptr_t)(e->bar0 + reg);
}

bool edu_dma(const struct host_edu *e, uint64_t src, uint64_t dst, uint64_t count, bool to_ram)
{
	uint64_t t0;

	*edu_reg(e, EDU_DMA_SRC) = src;
	*edu_reg(e, EDU_DMA_DST) = dst;
	*edu_reg(e, EDU_DMA_CNT) = count;
	*edu_reg(e, EDU_DMA_CMD) = EDU_DMA_RUN | (to_ram ? EDU_DMA_TO_RAM : 0);
	t0 = now_ms();
	while (*edu_reg(e, EDU_DMA_CMD) & EDU_DMA_RUN)
		if (now_ms() - t0 > EDU_DMA_WAIT_MS)
			return false;
	return true;
}
