/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore/kcore.h — the entry points a platform calls.
 *
 * A platform boots, discovers its memory (DTB on arm64, the machine
 * description on hosted), and hands core a kc_boot_layout.  Core builds its
 * own EL2 map from it; the platform then installs that map (arm64: TTBR0_EL2,
 * MAIR_EL2 = PGT_MAIR_EL2, TCR_EL2 for 48-bit VAs and 4 KiB pages).
 *
 * The host-call and fault entry points join this header with the core
 * issue (VM lifecycle), when they exist.
 */
#ifndef KCORE_KCORE_H
#define KCORE_KCORE_H

#include <kcore/pgt.h>
#include <stdint.h>

#define KC_MAX_RAM_REGIONS 8
#define KC_MAX_DEVICES	   8

struct kc_region {
	uint64_t base;
	uint64_t size;
};

struct kc_boot_layout {
	struct kc_region ram[KC_MAX_RAM_REGIONS]; /* all RAM, page aligned, disjoint */
	unsigned nram;
	struct kc_region devices[KC_MAX_DEVICES]; /* MMIO kcore itself uses (console) */
	unsigned ndevices;
	struct kc_region image; /* kcore's whole image: text..bss, stacks */
	struct kc_region text;	/* inside image: the only executable range */
	struct kc_region pool;	/* frames for kcore's own tables (CORE) */
};

/*
 * Check `layout` and build kcore's EL2 stage-1 map into `map`, with table
 * pages from `pool` (which must describe layout->pool):
 *   - kcore text: read + execute;
 *   - the rest of RAM: read + write, never executable;
 *   - devices: read + write, Device-nGnRE, never executable;
 * all identity mapped (VA = PA).  KC_EINVAL for a malformed layout (a
 * misaligned or overlapping region, text outside image, image or pool
 * outside RAM), KC_ENOMEM if the pool is too small.
 */
int kcore_coremap_build(const struct kc_boot_layout *layout, struct pgt_pool *pool,
			struct pgt *map);

/* Print the layout ("memory map") on the console, one region per line. */
void kcore_print_layout(const struct kc_boot_layout *layout);

/* Name of a KC_* status code ("EINVAL", ...), "E?" for an unknown one. */
const char *kcore_err_name(int status);

#endif /* KCORE_KCORE_H */
