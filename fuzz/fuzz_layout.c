/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_layout — kcore_init on arbitrary boot layouts and configs
 * (docs/FUZZING.md).  On arm64 the layout comes from the DTB, so the
 * refusals in core/coremap.c and core/init.c are checks of an input.
 *
 * Each input is a kc_boot_layout (RAM regions, devices, host-shared bits,
 * SMMU descriptors, image / text / pool) and a kc_config (ncpus, max_vms,
 * pool sizes, remap window, IO domains, keys), then up to 8 host actions.
 * Every region is picked by a selector byte: 0xFF = two literal 64-bit
 * words (base, size); otherwise a region of the model's RAM (offset and
 * size in 4 KiB / 64 KiB / 2 MiB / 1 MiB units, maybe misaligned), or for
 * devices one of a few addresses (the model's MMIO, its SMMUs, RAM, the
 * remap window).  The pool may be "auto": the end of the last RAM region,
 * sized by kcore_core_bytes, give or take a page (as the platforms do).
 *
 * The machine is the model's, fresh per input: 64 MiB of RAM at 1 GiB, two
 * SMMUs of 256 streams.  The layout may describe RAM the machine does not
 * have: kcore writes only to its pool, so the harness skips an input
 * whose pool is not the model's RAM and would pass the alignment checks
 * (kcore would write there), or whose pool starts outside it.
 *
 * The oracle:
 *   - kcore_init returns KC_OK, KC_EINVAL or KC_ENOMEM;
 *   - refused: nothing is half-built — every host call is refused
 *     (ESTATE: kcore is not up), maps nothing on a host fault, and its checker finds
 *     nothing up;
 *   - accepted: the full invariant walk (and the incremental checker with
 *     it, hm_check_full) passes, kcore_core_bytes did not under-count (the
 *     init used at most the pool), and after each host action (a host call
 *     among VERSION / VM_CREATE / VM_DESTROY / IODOM_*, SMMU_EVENT, an
 *     unknown one, or a host load / store at a layout address) the
 *     invariants hold again and a failed call left kcore_digest unchanged.
 * Sanitizer findings are findings like any other.
 */
#include <kcore/abi.h>
#include <kcore/kcore.h>
#include <kcore_hosted/boot.h>
#include <kcore_hosted/host.h>
#include <kcore_hosted/smmu.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FL_RAM_BASE   0x40000000ull
#define FL_RAM_SIZE   (64ull << 20)
#define FL_REMAP_BASE 0x0000C00000000000ull /* core/state.h: KC_REMAP_BASE */
#define FL_MAX_ACTS   8

struct fl_in {
	const uint8_t *p;
	size_t n, at;
};

/* Bytes past the end read as zero: a short input is a small layout. */
static uint8_t fl_u8(struct fl_in *in)
{
	return in->at < in->n ? in->p[in->at++] : 0;
}

static uint64_t fl_u64(struct fl_in *in)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)fl_u8(in) << (8 * i);
	return v;
}

static const uint64_t fl_units[4] = { 0x1000, 0x10000, 0x200000, 0x100000 };

/*
 * A RAM-ish region: selector 0xFF = literal; else offset byte and size byte
 * in units of fl_units[sel & 3] from the model's RAM base, half a page off
 * when sel & 4, size 0 when sel & 8 and the size byte is 0.
 */
static struct kc_region fl_ram_region(struct fl_in *in)
{
	uint8_t sel = fl_u8(in);
	struct kc_region r;

	if (sel == 0xFF) {
		r.base = fl_u64(in);
		r.size = fl_u64(in);
		return r;
	}
	uint64_t unit = fl_units[sel & 3];
	uint8_t off = fl_u8(in), len = fl_u8(in);
	r.base = FL_RAM_BASE + off * unit + ((sel & 4) ? 0x800 : 0);
	r.size = ((sel & 8) && !len) ? 0 : (uint64_t)(len + 1) * unit;
	return r;
}

/* A device region: literal, or one of a few places (MMIO, SMMUs, RAM, the window, the top). */
static struct kc_region fl_device_region(struct fl_in *in)
{
	static const struct kc_region spots[] = {
		{ 0x09000000, 0x1000 },
		{ 0x09010000, 0x10000 },
		{ HM_SMMU_MMIO_BASE, HM_SMMU_MMIO_SIZE },
		{ HM_SMMU_MMIO_BASE + HM_SMMU_MMIO_SIZE, HM_SMMU_MMIO_SIZE },
		{ FL_RAM_BASE + FL_RAM_SIZE - 0x1000, 0x2000 }, /* over RAM's end */
		{ FL_REMAP_BASE, 0x1000 },			/* inside the remap window */
		{ (1ull << 48) - 0x1000, 0x1000 },		/* the last page */
		{ 0x08000000, 0x200000 },			/* a 2 MiB block */
	};
	uint8_t sel = fl_u8(in);
	if (sel == 0xFF) {
		struct kc_region r = { fl_u64(in), fl_u64(in) };
		return r;
	}
	struct kc_region r = spots[sel % (sizeof(spots) / sizeof(spots[0]))];
	if (sel & 0x80) /* the same spot at another 64 KiB step */
		r.base += (uint64_t)(sel & 0x70) << 12;
	return r;
}

static uint64_t fl_pick(struct fl_in *in, const uint64_t *vals, unsigned n)
{
	uint8_t sel = fl_u8(in);
	return sel == 0xFF ? fl_u64(in) : vals[sel % n];
}
#define FL_PICK(in, ...)                                                                           \
	fl_pick(in, (const uint64_t[]){ __VA_ARGS__ },                                             \
		sizeof((const uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t))

static void fl_decode(struct fl_in *in, struct kc_boot_layout *l, struct kc_config *c)
{
	memset(l, 0, sizeof(*l));
	memset(c, 0, sizeof(*c));
	uint8_t counts = fl_u8(in); /* bits 0-3 nram (0..15), 4-7 ndevices */
	l->nram = counts & 15;
	l->ndevices = counts >> 4;
	for (unsigned i = 0; i < l->nram && i < KC_MAX_RAM_REGIONS; i++)
		l->ram[i] = fl_ram_region(in);
	for (unsigned i = 0; i < l->ndevices && i < KC_MAX_DEVICES; i++)
		l->devices[i] = fl_device_region(in);
	uint8_t shared = fl_u8(in);
	l->devices_host_shared = shared == 0xFF ? (uint32_t)fl_u64(in) : shared;
	uint8_t ns = fl_u8(in);
	l->nsmmus = ns & 3;
	for (unsigned i = 0; i < l->nsmmus && i < KC_MAX_SMMUS; i++) {
		l->smmus[i].device = fl_u8(in) % 10;
		l->smmus[i].nstreams = (uint32_t)FL_PICK(in, 64, 1, 256, 0, 257, 16);
		l->smmus[i].ia_bits = (unsigned)FL_PICK(in, 48, 32, 40, 31, 49, 44);
	}
	l->image = fl_ram_region(in);
	l->text = fl_ram_region(in);

	c->ncpus = (unsigned)FL_PICK(in, 1, 2, 4, 64, 0, 65, 8);
	c->max_vms = (unsigned)FL_PICK(in, 2, 1, 4, 255, 0, 256, 16);
	c->vm_pool_pages = (unsigned)FL_PICK(in, 16, 4, 3, 64, 1u << 20, (1u << 20) + 1, 8);
	c->remap_pages = FL_PICK(in, 64, 0, 2, 4096, 1ull << 26, (1ull << 26) + 1, 513);
	c->max_iodoms = (unsigned)FL_PICK(in, 0, 1, 2, 64, 65, 4);
	c->iodom_pool_pages = (unsigned)FL_PICK(in, 8, 4, 3, 64, (1u << 20) + 1, 16);
	uint8_t keys = fl_u8(in);
	c->ntrusted_keys = keys % 6;
	for (unsigned i = 0; i < c->ntrusted_keys && i < KC_MAX_TRUSTED_KEYS; i++) {
		c->trusted_keys[i][0] = (keys & 0x80) && i == 0 ? 0x02 : 0x04;
		for (unsigned j = 1; j < 65; j++)
			c->trusted_keys[i][j] = (uint8_t)(i * 65 + j);
	}

	/* The pool last: "auto" (selector < 0x40) needs the rest of the layout. */
	uint8_t psel = in->at < in->n ? in->p[in->at] : 0;
	if (psel < 0x40 && l->nram >= 1 && l->nram <= KC_MAX_RAM_REGIONS) {
		in->at++;
		uint64_t bytes = (kcore_core_bytes(l, c) + 0xFFF) & ~0xFFFull;
		const struct kc_region *r = &l->ram[l->nram - 1];
		/* bits 0-1: exact, a page more, a page less, at RAM's start */
		if ((psel & 3) == 1)
			bytes += 0x1000;
		if ((psel & 3) == 2 && bytes)
			bytes -= 0x1000;
		l->pool.size = bytes;
		l->pool.base = (psel & 3) == 3 ? r->base : r->base + r->size - bytes;
	} else {
		l->pool = fl_ram_region(in);
	}
}

struct fl_boot {
	const struct kc_boot_layout *l;
	const struct kc_config *c;
	int rc;
};

static void fl_boot_on_cpu(unsigned cpu, void *arg)
{
	struct fl_boot *b = arg;
	(void)cpu;
	b->rc = kcore_init(b->l, b->c);
}

static void fl_fault_on_cpu(unsigned cpu, void *arg)
{
	int *rc = arg;
	(void)cpu;
	*rc = kcore_host_fault(FL_RAM_BASE, false);
}

static int fl_init(struct hm_machine *m, const struct kc_boot_layout *l, const struct kc_config *c)
{
	struct fl_boot b = { l, c, 1 };
	if (hm_cpu_run(m, 0, fl_boot_on_cpu, &b))
		abort();
	return b.rc;
}

static void fl_fail(const char *what, int rc)
{
	fprintf(stderr, "fuzz_layout: %s (%d, %s)\n", what, rc, kcore_err_name(rc));
	abort();
}

/* Would kcore's checks let this region through (aligned, non-empty, below 2^48)? */
static bool fl_region_plausible(const struct kc_region *r)
{
	return r->size && !((r->base | r->size) & 0xFFF) && r->base + r->size > r->base &&
	       r->base + r->size <= (1ull << 48);
}

/* kcore is down: every call ESTATE, no host fault mapped, nothing for the checker. */
static void fl_expect_down(struct hm_machine *m, const char *when)
{
	struct kc_hcall hc = { { KC_HC_VM_CREATE } };
	char why[300];
	int rc = 0;

	hm_host_call(m, 0, &hc);
	if ((int64_t)hc.x[0] != KC_ESTATE)
		fl_fail(when, (int)hc.x[0]);
	hm_cpu_run(m, 0, fl_fault_on_cpu, &rc);
	if (rc == KC_OK)
		fl_fail("a host fault was mapped by a kcore that is not up", rc);
	if (kcore_check(why, sizeof(why)) || kcore_check_incremental(why, sizeof(why)))
		fl_fail(why, 0);
}

static void fl_check(struct hm_machine *m, const char *after)
{
	char why[300];
	int inv = hm_check_full(m, why, sizeof(why));
	if (inv) {
		fprintf(stderr, "fuzz_layout: invariant %d after %s: %s\n", inv, after, why);
		abort();
	}
}

/* An address somewhere in the layout: a region's first or last page, or a literal. */
static uint64_t fl_addr(struct fl_in *in, const struct kc_boot_layout *l)
{
	uint8_t sel = fl_u8(in);
	const struct kc_region *r;
	switch (sel & 7) {
	case 0:
		r = &l->ram[(sel >> 3) % l->nram];
		break;
	case 1:
		if (!l->ndevices)
			return FL_RAM_BASE;
		r = &l->devices[(sel >> 3) % l->ndevices];
		break;
	case 2:
		r = &l->pool;
		break;
	case 3:
		r = &l->image;
		break;
	case 4:
		r = &l->text;
		break;
	default:
		return fl_u64(in) & ~0xFFFull;
	}
	return (sel & 0x80) ? r->base + r->size - 0x1000 : r->base;
}

static void fl_act(struct hm_machine *m, struct fl_in *in, const struct kc_boot_layout *l)
{
	static const uint64_t calls[] = {
		KC_HC_VERSION,	    KC_HC_VM_CREATE,  KC_HC_VM_DESTROY,	  KC_HC_IODOM_ALLOC,
		KC_HC_IODOM_ATTACH, KC_HC_IODOM_MAP,  KC_HC_IODOM_UNMAP,  KC_HC_IODOM_FREE,
		KC_HC_IODOM_DETACH, KC_HC_SMMU_EVENT, KC_HC_IODOM_LOOKUP, KC_FN(0x15),
	};
	uint8_t op = fl_u8(in);
	uint8_t before[KC_DIGEST_LEN], after[KC_DIGEST_LEN];

	if (op & 0x80) { /* a host load or store at a layout address */
		uint64_t pa = fl_addr(in, l), word = 0x5A5A5A5A5A5A5A5Aull;
		if (op & 0x40)
			hm_host_store(m, 0, pa, &word, sizeof(word), NULL);
		else
			hm_host_load(m, 0, pa, &word, sizeof(word), NULL);
		fl_check(m, "a host access");
		return;
	}
	struct kc_hcall hc = { { calls[op % (sizeof(calls) / sizeof(calls[0]))] } };
	uint8_t a = fl_u8(in);
	hc.x[1] = a & 3;	/* a VM or domain id, the host as owner */
	hc.x[2] = (a >> 2) & 1; /* an SMMU index, or IOVA page 0 / 1 */
	hc.x[3] = hc.x[0] == KC_HC_IODOM_MAP ? fl_addr(in, l) : (a >> 3) & 15; /* a PA, a stream */
	hc.x[4] = 1;							       /* one page */
	hc.x[5] = KC_IO_R | ((a & 0x80) ? KC_IO_W : 0);
	if (hc.x[0] == KC_HC_IODOM_MAP || hc.x[0] == KC_HC_IODOM_UNMAP ||
	    hc.x[0] == KC_HC_IODOM_LOOKUP)
		hc.x[2] <<= 12;
	if (hc.x[0] == KC_HC_IODOM_UNMAP)
		hc.x[3] = 1;
	kcore_digest(before);
	hm_host_call(m, 0, &hc);
	if ((int64_t)hc.x[0] < 0) {
		kcore_digest(after);
		if (memcmp(before, after, sizeof(before)))
			fl_fail("a failed host call changed kcore's state", (int)hc.x[0]);
	}
	fl_check(m, "a host call");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fl_in in = { data, size, 0 };
	struct kc_boot_layout l;
	struct kc_config c;

	fl_decode(&in, &l, &c);
	/*
	 * kcore would take memory the model does not have.  kcore_init also
	 * takes a pointer to the pool's first byte before it checks the layout
	 * (plat_phys_to_virt: arithmetic at EL2, a lookup that must hit RAM on
	 * the model), so the pool's base must be RAM even when kcore refuses.
	 */
	bool pool_backed = l.pool.base >= FL_RAM_BASE && l.pool.size <= FL_RAM_SIZE &&
			   l.pool.base - FL_RAM_BASE <= FL_RAM_SIZE - l.pool.size;
	bool base_backed = l.pool.base >= FL_RAM_BASE && l.pool.base < FL_RAM_BASE + FL_RAM_SIZE;
	if (!base_backed || (!pool_backed && fl_region_plausible(&l.pool)))
		return 0;

	struct hm_config mc = {
		.ram_base = FL_RAM_BASE,
		.ram_size = FL_RAM_SIZE,
		.ncpus = 1,
		.rng_seed = 1,
		.nsmmus = 2,
		.smmu_streams = HM_SMMU_MAX_STREAMS,
	};
	struct hm_machine *m;
	if (hm_machine_create(&mc, &m))
		abort();

	/*
	 * Start from a kcore that is down, as at power-on: the previous input's
	 * kcore (on a machine now gone) is taken down by a boot kcore refuses
	 * after it has reset its state (text outside the image).
	 */
	struct kc_config c0 = { .ncpus = 1, .max_vms = 1, .vm_pool_pages = 4 };
	struct kc_boot_layout l0 = {
		.ram = { { FL_RAM_BASE, FL_RAM_SIZE } },
		.nram = 1,
		.image = { FL_RAM_BASE, 0x10000 },
		.text = { FL_RAM_BASE + 0x10000, 0x1000 },
		.pool = { FL_RAM_BASE + FL_RAM_SIZE - 0x100000, 0x100000 },
	};
	if (fl_init(m, &l0, &c0) != KC_EINVAL)
		fl_fail("the reset boot was not refused", 0);
	fl_expect_down(m, "kcore answered a call after the reset boot");

	uint64_t bytes = kcore_core_bytes(&l, &c);
	int rc = fl_init(m, &l, &c);
	if (rc == KC_EINVAL || rc == KC_ENOMEM) {
		fl_expect_down(m, "kcore answered a call after refusing to boot");
	} else if (rc == KC_OK) {
		if (bytes > l.pool.size)
			fl_fail("kcore_init accepted a pool smaller than kcore_core_bytes", rc);
		fl_check(m, "kcore_init");
		for (unsigned i = 0; i < FL_MAX_ACTS && in.at < in.n; i++)
			fl_act(m, &in, &l);
	} else {
		fl_fail("kcore_init returned neither OK, EINVAL nor ENOMEM", rc);
	}
	hm_machine_destroy(m);
	return 0;
}
