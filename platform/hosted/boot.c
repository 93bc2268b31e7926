/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Booting kcore on the model: the hosted counterpart of platform/arm64's
 * main.c.  Lives in its own object file, like host.c, so tests of the bare
 * model link without core's run-time part.
 */
#include <kcore/abi.h>
#include <kcore_hosted/boot.h>
#include <kcore_hosted/smmu.h>

#include <stdio.h>

struct boot_args {
	const struct kc_boot_layout *layout;
	const struct kc_config *cfg;
	int rc;
};

static struct kc_region hm_pool_region;

static void boot_on_cpu(unsigned cpu, void *arg)
{
	struct boot_args *a = arg;
	(void)cpu;
	a->rc = kcore_init(a->layout, a->cfg);
}

static struct kc_boot_layout hm_layout(const struct hm_config *mc)
{
	struct kc_boot_layout l = {
		.ram = { { mc->ram_base, mc->ram_size } },
		.nram = 1,
		.ndevices = 0, /* the model's console is not MMIO: kcore owns no device */
		.image = { mc->ram_base, HM_KCORE_IMAGE_SIZE },
		.text = { mc->ram_base, HM_KCORE_TEXT_SIZE },
	};
	return l;
}

int hm_kcore_boot(struct hm_machine *m, const struct kc_config *cfg)
{
	return hm_kcore_boot_devices(m, cfg, NULL, 0, 0);
}

int hm_kcore_boot_devices(struct hm_machine *m, const struct kc_config *cfg_in,
			  const struct kc_region *devices, unsigned ndevices, uint32_t host_shared)
{
	const struct hm_config *mc = hm_machine_config(m);
	struct kc_config cfg = *cfg_in;
	struct kc_boot_layout l = hm_layout(mc);

	if (ndevices + mc->nsmmus > KC_MAX_DEVICES || mc->nsmmus > KC_MAX_SMMUS)
		return KC_EINVAL;
	for (unsigned i = 0; i < ndevices; i++)
		l.devices[i] = devices[i];
	/* Each SMMU's registers: one of kcore's devices, never the host's. */
	for (unsigned i = 0; i < mc->nsmmus; i++) {
		l.devices[ndevices + i].base = HM_SMMU_MMIO_BASE + i * HM_SMMU_MMIO_SIZE;
		l.devices[ndevices + i].size = HM_SMMU_MMIO_SIZE;
		l.smmus[i].device = ndevices + i;
		l.smmus[i].nstreams = mc->smmu_streams;
		l.smmus[i].ia_bits = mc->smmu_ia_bits;
	}
	l.nsmmus = mc->nsmmus;
	l.ndevices = ndevices + mc->nsmmus;
	l.devices_host_shared = host_shared;
	/* A fresh kcore finds fresh SMMUs: every stream aborts, nothing cached. */
	hm_smmu_reset(m);

	if (!cfg.ncpus)
		cfg.ncpus = mc->ncpus;
	uint64_t bytes = kcore_core_bytes(&l, &cfg);
	bytes = (bytes + 4095) & ~4095ull;
	if (bytes + HM_KCORE_IMAGE_SIZE > mc->ram_size)
		return KC_ENOMEM;
	l.pool.base = mc->ram_base + mc->ram_size - bytes;
	l.pool.size = bytes;
	hm_pool_region = l.pool;

	struct boot_args a = { &l, &cfg, KC_EINVAL };
	if (hm_cpu_run(m, 0, boot_on_cpu, &a))
		return KC_EINVAL;
	return a.rc;
}

struct kc_region hm_kcore_pool(struct hm_machine *m)
{
	(void)m;
	return hm_pool_region;
}

static unsigned hm_checks; /* since the last full walk */
static unsigned hm_full_every = HM_CHECK_FULL_EVERY;

void hm_check_set_full_every(unsigned n)
{
	hm_full_every = n ? n : HM_CHECK_FULL_EVERY;
}

/*
 * The incremental checker, and every HM_CHECK_FULL_EVERY checks (or when it
 * finds a violation) the full walk on the same state: the two must agree.
 */
static int hm_check_kcore(char *why, size_t size, bool full)
{
	if (hm_full_every == 1)
		return kcore_check(why, size); /* the full walk alone, every time (as before) */
	int inv = kcore_check_incremental(why, size);

	if (!inv && !full && ++hm_checks < hm_full_every)
		return 0;
	hm_checks = 0;
	char whole[300];
	int all = kcore_check(whole, sizeof(whole));
	if (!inv == !all)
		return inv ? inv : all;
	if (inv)
		snprintf(whole, sizeof(whole), "%s", why);
	snprintf(why, size,
		 "checker disagreement: the incremental check says %d, the full walk %d: %s", inv,
		 all, whole);
	return inv ? inv : all;
}

static int hm_check_tlb(struct hm_machine *m, char *why, size_t size)
{
	char tlb[200];
	if (!hm_tlb_coherent(m, tlb, sizeof(tlb))) {
		snprintf(why, size, "invariant 7: %s", tlb);
		return 7;
	}
	return 0;
}

int hm_check(struct hm_machine *m, char *why, size_t size)
{
	int inv = hm_check_kcore(why, size, false);

	return inv ? inv : hm_check_tlb(m, why, size);
}

int hm_check_full(struct hm_machine *m, char *why, size_t size)
{
	int inv = hm_check_kcore(why, size, true);

	return inv ? inv : hm_check_tlb(m, why, size);
}
