/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What kcore needs from the device tree the boot loader passed in x0.
 * Depends only on libfdt and kcore headers, so it can be unit-tested
 * hosted with device trees built by libfdt's writers.
 */
#ifndef KCORE_ARM64_FDT_H
#define KCORE_ARM64_FDT_H

#include <kcore/kcore.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* CPUs kcore can run on (per-CPU stacks and state are sized by it). */
#define ARM64_MAX_CPUS 8

struct arm64_fdt_info {
	/* RAM from every device_type = "memory" node, trimmed to whole pages. */
	struct kc_region ram[KC_MAX_RAM_REGIONS];
	unsigned nram;
	/* The console: /chosen stdout-path if it names a PL011, else the first "arm,pl011". */
	uint64_t uart_base;
	uint64_t uart_size;
	/* MPIDR affinity of every /cpus cpu node, in DTB order; 0 if no /cpus. */
	uint64_t cpu_mpidr[ARM64_MAX_CPUS];
	unsigned ncpus;
	/* Every usable "arm,smmu-v3" node's registers (reg entry 0), in DTB order. */
	struct kc_region smmu[KC_MAX_SMMUS];
	unsigned nsmmus;
	/* /chosen bootargs (points into the DTB), "" if there are none. */
	const char *bootargs;
};

/*
 * Read `fdt`.  Returns KC_OK, or KC_EINVAL with *why set to a sentence
 * saying what is missing or malformed.  Every address is checked to fit in
 * 64 bits without wrapping.
 */
int arm64_fdt_parse(const void *fdt, struct arm64_fdt_info *info, const char **why);

/*
 * True if the space-separated `bootargs` contain exactly the word `arg`
 * (e.g. "kcore.selftest=fault").
 */
bool arm64_fdt_bootarg_has(const char *bootargs, const char *arg);

/*
 * Hide `n` ranges of kcore's memory from the host: each becomes a
 * /reserved-memory child "kcore@<base>" with `no-map` (so Linux leaves it
 * out of System RAM and its linear map, speculation included; /memreserve/
 * would not).  The tree is edited in place and may grow up to `bufsize`
 * bytes.  KC_OK, KC_EINVAL (bad tree) or KC_ENOMEM (no room), *why saying
 * which.  On failure the tree may be half edited: the caller must not
 * hand it to the host.
 */
int arm64_fdt_reserve(void *fdt, size_t bufsize, const struct kc_region *regions, unsigned n,
		      const char **why);

/*
 * Take the SMMUs away from the host's view (docs/SMMU.md, "On arm64"): every
 * "arm,smmu-v3" node gets status = "disabled", and every iommu-map and
 * iommus property that names one of them is removed, so a host neither
 * probes the SMMU (its registers are kcore's) nor waits for it to set up
 * its devices' DMA.  Edited in place, growing up to `bufsize` bytes;
 * KC_OK or KC_EINVAL/KC_ENOMEM with *why.  On failure the tree may be
 * half edited: the caller must not hand it to the host.
 */
int arm64_fdt_hide_smmus(void *fdt, size_t bufsize, const char **why);

#endif /* KCORE_ARM64_FDT_H */
