/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_stress — kcore under real concurrency (docs/CONCURRENCY.md).
 *
 * N modelled CPUs, each a thread (hm_run_parallel), each draw M operations
 * at random from a seeded generator: VMs brought up (create, two vCPUs,
 * image, load, verify), run (their guest programs start the second vCPU,
 * store, share, unshare, check and sometimes power off; either vCPU may run
 * on any CPU, both at once), their faults backed with the thread's own frames,
 * powered off, reclaimed and destroyed; host loads anywhere in host RAM and
 * stores to the thread's own frames (including frames it is handing to its
 * VMs); and calls aimed at other CPUs' VMs: runs, interrupts, power-off,
 * verify, and attempts to map frames that are not the host's; device pages
 * claimed by VMs (VM_MAP_IO, exclusive) while the host and other VMs reach
 * for the same ones; IO domains and DMA (below).  Every K
 * operations all CPUs park at a barrier and one of them checks, with no CPU
 * inside kcore: invariants 1-7 and TLB coherence (hm_check), no guest
 * EXPECT failed, and the reference model of frame ownership
 * (tools/replay/model.h), fed every ownership-changing call in an order
 * consistent with kcore's.  At the end every VM is torn down and the model
 * compared once more: all frames but kcore's are the host's again.
 *
 * Host loads must never see a guest's private data (each private store is
 * tagged STRESS_SECRET); host stores to the thread's own frames must
 * succeed exactly while the host owns them.
 *
 *   test_stress [--seed S] [--threads N] [--ops M] [--every K]
 *
 * or KCORE_STRESS_SEED / _THREADS / _OPS / _EVERY in the environment.  The
 * seed is printed.  Each CPU's sequence of random draws is a function of
 * the seed and its index; which operation it then makes depends also on
 * how the CPUs interleaved (a VM another CPU powered off is torn down, not
 * run), so with N > 1 a seed reproduces the mix, not the interleaving.
 * With --threads 1 a seed reproduces the run exactly.
 *
 * IO domains and DMA (docs/SMMU.md): the machine has two SMMUs; each CPU
 * owns four streams (two for its host domain, one per VM slot), a host IO
 * domain it allocates, attaches, maps its own host frames into (and tries
 * VM frames, kcore's and the SMMUs' registers: refused), unmaps, looks up
 * and frees, and an IO domain per VM that maps the VM's frames at IOVA =
 * gfn (elsewhere, or a host frame: refused), freed before the VM is
 * reclaimed (which kcore refuses before).  Only the CPU changes its
 * domains, so its devices' DMA is checked exactly: it goes through iff the
 * page is mapped with the rights, a write reaches that frame, and a read
 * never sees another VM's (through a host domain: any guest's) private
 * data; each DMA that went through is also logged, in ticket order with
 * the IODOM calls, and the model must map the page to a frame of the
 * domain's owner.  Before a donation, sometimes the same call with a frame
 * the host domain maps: KC_EBUSY (the DMA count), never OK.  And devices
 * behind other CPUs' host streams read and write while those CPUs unmap
 * and donate: a read never sees a guest's data, and a write landing after
 * a donation would show as a guest's data changing (an EXPECT failing).
 * SMMU_EVENT drains the events the stopped DMA leaves.
 */
#define _POSIX_C_SOURCE 200809L /* pthread barriers, clock_gettime */

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pthread.h>

#include <cmocka.h>

#include "../../tools/replay/model.h"
#include "fixture.h"

#include <kcore/platform.h> /* enum kc_smmu_fault: what SMMU_EVENT reports */
#include <kcore_hosted/smmu.h>

#define IMG_BASE      0x80000000ull
#define DATA_IPA      0x90000000ull
#define DATA1_IPA     0x90100000ull	 /* vCPU 1's pages, in the same 2 MiB as vCPU 0's */
#define VCPU1_PC      (IMG_BASE + 0x800) /* vCPU 1's program, in the same image page */
#define DEV_GPA	      0xA0000000ull	 /* where a VM maps a device page */
#define DEV_PAGES     8			 /* device pages the VMs and the host contend for */
#define IMG_FILL      0x5Au
#define MAX_PAGES     12 /* data pages a guest writes */
#define SLOTS	      2	 /* VMs a CPU keeps at once */
#define MAX_THREADS   8
#define STRESS_SECRET 0x5EC0000000000000ull /* private guest data: the host never sees it */
#define STRESS_PUBLIC 0x9B1C000000000000ull /* what a guest writes to the page it shares */
#define TAG_MASK      0xFFFF000000000000ull
#define DMA_OWN	      0xD3A0000000000000ull /* a CPU's device writing through its own stream */
#define DMA_WILD      0xD3A1000000000000ull /* a device writing through another CPU's stream */
#define DMA_VM	      0xD3A2000000000000ull /* a VM's device, at offset 8 (the guests use 0) */
#define NSMMUS	      2u
#define SIDS_PER_CPU                                                                               \
	4u	      /* host domain: (SMMU 0, 4t), (SMMU 1, 4t + 1); VM slot s: (s, 4t + 2 + s) */
#define NIOVA	  16u /* IOVA pages of a CPU's host domain: HOST_IOVA + k * 4 KiB */
#define HOST_IOVA 0x100000ull
#define DMA_MARK  (~0ull) /* a log entry that is a DMA, not a call */

/* ---- parameters --------------------------------------------------------- */

static uint64_t seed;
static unsigned nthreads = 4, nops = 1500, every = 100;

/* ---- the random generator (splitmix64: one per CPU, from the seed) ------ */

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static unsigned below(uint64_t *s, unsigned n)
{
	return (unsigned)(rnd(s) % n);
}

/* ---- state -------------------------------------------------------------- */

enum slot_phase { SLOT_EMPTY, SLOT_LIVE, SLOT_OFF };
enum frame_use { FRAME_FREE, FRAME_VM, FRAME_UNKNOWN };

struct slot {
	enum slot_phase phase;
	uint64_t id;
	unsigned npages;
	uint64_t page0; /* the pfn backing DATA_IPA (the page the guest shares), 0 if none */
	uint64_t dom;	/* the VM's IO domain (0: none): mapped frames at IOVA = gfn */
	bool attached;	/* its stream (SMMU s, 4t + 2 + s) translates through it */
};

/* The CPU's host IO domain: only this CPU changes it, so it knows exactly what it maps. */
struct hostdom {
	uint64_t id; /* 0: none */
	bool attached[2];
	uint64_t pfn[NIOVA]; /* by IOVA page: the frame mapped there, 0 if none */
	bool w[NIOVA];
};

/* One ownership-changing call, for the model, in kcore's order (ticket). */
struct logged {
	uint64_t ticket;
	uint64_t in[7], out[7];
};

struct cpu_state {
	uint64_t rng;
	uint64_t first, nframes; /* this CPU's host frames: [first, first + nframes) */
	uint8_t *use;		 /* enum frame_use, by frame */
	uint8_t *owner_slot;	 /* for FRAME_VM: which slot */
	uint8_t *dmacnt;	 /* host-domain mappings of the frame (only this CPU makes them) */
	uint8_t *iomapped;	 /* FRAME_VM: its VM's domain maps it at its gfn */
	uint64_t *gfn;		 /* FRAME_VM: where its VM has it */
	struct hostdom hd;
	uint64_t cursor;
	struct slot slots[SLOTS];
	struct logged *log;
	unsigned nlog, log_cap;
	unsigned long ops_done, runs, faults, faults1, io_maps, vms_made, vms_destroyed, host_ok,
		host_refused, iodom_ok, iodom_refused, dma_ok, dma_stopped, wild_ok, wild_stopped,
		busy_donations, events;
};

static struct stress {
	struct kf f;
	uint64_t manifest_pfn;
	uint64_t host_end; /* the first frame above host RAM (kcore's pool) */
	uint64_t ticket;
	pthread_barrier_t barrier;
	struct rp_model model;
	struct cpu_state cpus[MAX_THREADS];
	int failed; /* set by whoever finds something; every CPU stops at the next barrier */
	char why[512];
} S;

static void fail_with(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail_with(const char *fmt, ...)
{
	va_list ap;
	if (__atomic_exchange_n(&S.failed, 1, __ATOMIC_ACQ_REL))
		return; /* keep the first */
	va_start(ap, fmt);
	vsnprintf(S.why, sizeof(S.why), fmt, ap);
	va_end(ap);
}

/* Record the failure and leave the (void) operation. */
#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fail_with(__VA_ARGS__);                                                            \
		return;                                                                            \
	} while (0)

/* An expected status, or the failure. */
#define EXPECT_ST(st, want, ...)                                                                   \
	do {                                                                                       \
		if ((st) != (want))                                                                \
			FAIL(__VA_ARGS__);                                                         \
	} while (0)

static bool failed(void)
{
	return __atomic_load_n(&S.failed, __ATOMIC_ACQUIRE);
}

/* ---- host calls, logged for the model ----------------------------------- */

static uint64_t ticket(void)
{
	return __atomic_fetch_add(&S.ticket, 1, __ATOMIC_RELAXED);
}

static bool changes_owners(uint64_t fn)
{
	return fn == KC_HC_VM_CREATE || fn == KC_HC_VM_LOAD_IMAGE_PAGE ||
	       fn == KC_HC_VM_MAP_FAULT || fn == KC_HC_VM_RECLAIM || fn == KC_HC_VM_DESTROY ||
	       (fn >= KC_HC_IODOM_ALLOC && fn <= KC_HC_IODOM_LOOKUP);
}

/* Calls that give something up (an id, a stream, a DMA count): ticket before they start. */
static bool gives_up(uint64_t fn)
{
	return fn == KC_HC_VM_DESTROY || fn == KC_HC_IODOM_FREE || fn == KC_HC_IODOM_DETACH ||
	       fn == KC_HC_IODOM_UNMAP;
}

static void log_entry(unsigned cpu, uint64_t t, const uint64_t in[7], const uint64_t out[7])
{
	struct cpu_state *c = &S.cpus[cpu];
	if (c->nlog == c->log_cap) {
		fail_with("CPU %u: model log full", cpu);
		return;
	}
	c->log[c->nlog].ticket = t;
	memcpy(c->log[c->nlog].in, in, sizeof(c->log[0].in));
	memcpy(c->log[c->nlog].out, out, sizeof(c->log[0].out));
	c->nlog++;
}

/*
 * One host call as `cpu`, logged (if `logged`) if it can change an owner or
 * the model's IO domains.  The ticket orders the log as kcore ordered the
 * calls where it matters: a call that gives something up (VM_DESTROY and
 * IODOM_FREE free an id, IODOM_DETACH a stream, IODOM_UNMAP a DMA count)
 * takes its ticket before it starts, a call that takes something (VM_CREATE,
 * frames to a VM, IODOM_ALLOC, _ATTACH, _MAP) after it returns, so whoever
 * gets an id, a stream or a frame another call gave up is ordered after
 * that call.  A LOOKUP of another CPU's domain would not be (the owner's
 * UNMAP may take its ticket first and still come later): none is logged.
 */
static int call5(unsigned cpu, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		 uint64_t a5, uint64_t r[3], bool logged)
{
	struct kc_hcall h = { { fn, a1, a2, a3, a4, a5, 0 } };
	uint64_t in[7], t = gives_up(fn) ? ticket() : 0;

	memcpy(in, h.x, sizeof(in));
	if (hm_host_call(S.f.m, cpu, &h))
		fail_with("CPU %u: hm_host_call refused", cpu);
	if (r)
		memcpy(r, &h.x[1], 3 * sizeof(uint64_t));
	int st = (int)(int64_t)h.x[0];
	if (logged && changes_owners(fn) && (st == KC_OK || fn == KC_HC_VM_CREATE)) {
		if (!gives_up(fn))
			t = ticket();
		log_entry(cpu, t, in, h.x);
	}
	return st;
}

static int call(unsigned cpu, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		uint64_t r[3])
{
	return call5(cpu, fn, a1, a2, a3, a4, 0, r, true);
}

static bool status_in(int st, const int *ok, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (st == ok[i])
			return true;
	return false;
}

/* ---- this CPU's frames --------------------------------------------------- */

static uint64_t frame_take(struct cpu_state *c, unsigned slot)
{
	for (uint64_t k = 0; k < c->nframes; k++) {
		uint64_t i = (c->cursor + k) % c->nframes;
		if (c->use[i] == FRAME_FREE && !c->dmacnt[i]) {
			c->cursor = i + 1;
			c->use[i] = FRAME_VM;
			c->owner_slot[i] = (uint8_t)slot;
			return c->first + i;
		}
	}
	return 0;
}

static void frame_untake(struct cpu_state *c, uint64_t pfn)
{
	c->use[pfn - c->first] = FRAME_FREE;
}

/* One of this CPU's frames its host domain maps (a device may reach it), or 0. */
static uint64_t frame_dma_mapped(struct cpu_state *c)
{
	unsigned k0 = below(&c->rng, NIOVA);
	for (unsigned k = 0; k < NIOVA; k++)
		if (c->hd.pfn[(k0 + k) % NIOVA])
			return c->hd.pfn[(k0 + k) % NIOVA];
	return 0;
}

/*
 * Sometimes, before a donation: the same call with a frame a host domain
 * maps, which the DMA count must refuse (KC_EBUSY) whatever else is going
 * on; the state errors the real call would also meet are fine.
 */
static void try_donate_mapped(unsigned cpu, struct cpu_state *c, uint64_t fn, uint64_t vm,
			      uint64_t a2, uint64_t a4)
{
	uint64_t pfn = below(&c->rng, 4) == 0 ? frame_dma_mapped(c) : 0;
	if (!pfn)
		return;
	int st = call(cpu, fn, vm, a2, pfn, a4, NULL);
	if (st == KC_OK)
		FAIL("CPU %u: call 0x%" PRIx64 " gave VM %" PRIu64 " frame 0x%" PRIx64
		     ", which its host IO domain maps",
		     cpu, fn, vm, pfn);
	c->busy_donations += st == KC_EBUSY;
}

/* Every frame of `slot`: now in `use` (FREE when all came back, UNKNOWN mid-reclaim). */
static void frames_of_slot(struct cpu_state *c, unsigned slot, enum frame_use use)
{
	for (uint64_t i = 0; i < c->nframes; i++)
		if ((c->use[i] == FRAME_VM || c->use[i] == FRAME_UNKNOWN) &&
		    c->owner_slot[i] == slot)
			c->use[i] = (uint8_t)use;
}

/* ---- guests ---------------------------------------------------------------- */

static uint64_t secret(uint64_t vmid, unsigned p)
{
	return STRESS_SECRET | vmid << 16 | p;
}

/*
 * vCPU 0: start vCPU 1 (PSCI CPU_ON), store a tagged private value to pages
 * 1..n-1, a public one to page 0, share page 0 and unshare it (sometimes
 * waiting in between, so the host runs while it is shared), read every
 * private page back, and sometimes power off.  vCPU 1, on whichever CPU the
 * host runs it (another CPU may run vCPU 0 at the same time): its own
 * private pages in the same 2 MiB, written and read back.  A program has
 * no branches: once past its end the vCPU idles (WFI exits).
 */
static void install_program(uint64_t *rng, uint64_t vmid, unsigned npages)
{
	struct hm_guest_op ops[6 * MAX_PAGES + 40];
	size_t n = 0;

	const struct hm_guest_op cpu_on[] = {
		{ HM_GOP_SET, 0, 0, 0, KC_PSCI_CPU_ON64 },
		{ HM_GOP_SET, 1, 0, 0, 1 },
		{ HM_GOP_SET, 2, 0, 0, VCPU1_PC },
		{ HM_GOP_SET, 3, 0, 0, 0 },
		{ HM_GOP_HVC, 0, 0, 0, 0 },
		{ HM_GOP_EXPECT, 0, 0, 0, KC_PSCI_SUCCESS },
	};
	memcpy(&ops[n], cpu_on, sizeof(cpu_on));
	n += sizeof(cpu_on) / sizeof(cpu_on[0]);
	for (unsigned p = 1; p < npages; p++) {
		ops[n++] = (struct hm_guest_op){ HM_GOP_SET, 3, 0, 0, secret(vmid, p) };
		ops[n++] = (struct hm_guest_op){ HM_GOP_STORE, 3, 8, DATA_IPA + p * 4096ull, 0 };
	}
	ops[n++] = (struct hm_guest_op){ HM_GOP_SET, 3, 0, 0, STRESS_PUBLIC | vmid };
	ops[n++] = (struct hm_guest_op){ HM_GOP_STORE, 3, 8, DATA_IPA, 0 };
	const struct hm_guest_op share[] = {
		{ HM_GOP_SET, 3, 0, 0, 0 },	      { HM_GOP_SET, 4, 0, 0, 0 },
		{ HM_GOP_SET, 0, 0, 0, KC_GC_SHARE }, { HM_GOP_SET, 1, 0, 0, DATA_IPA >> 12 },
		{ HM_GOP_SET, 2, 0, 0, 1 },	      { HM_GOP_HVC, 0, 0, 0, 0 },
		{ HM_GOP_EXPECT, 0, 0, 0, KC_OK },
	};
	memcpy(&ops[n], share, sizeof(share));
	n += sizeof(share) / sizeof(share[0]);
	if (below(rng, 2))
		ops[n++] = (struct hm_guest_op){ HM_GOP_WFI, 0, 0, 0, 0 };
	const struct hm_guest_op unshare[] = {
		{ HM_GOP_SET, 0, 0, 0, KC_GC_UNSHARE },
		{ HM_GOP_SET, 1, 0, 0, DATA_IPA >> 12 },
		{ HM_GOP_SET, 2, 0, 0, 1 },
		{ HM_GOP_HVC, 0, 0, 0, 0 },
		{ HM_GOP_EXPECT, 0, 0, 0, KC_OK },
	};
	memcpy(&ops[n], unshare, sizeof(unshare));
	n += sizeof(unshare) / sizeof(unshare[0]);
	for (unsigned p = 1; p < npages; p++) {
		ops[n++] = (struct hm_guest_op){ HM_GOP_LOAD, 4, 8, DATA_IPA + p * 4096ull, 0 };
		ops[n++] = (struct hm_guest_op){ HM_GOP_EXPECT, 4, 0, 0, secret(vmid, p) };
	}
	if (below(rng, 3) == 0) {
		ops[n++] = (struct hm_guest_op){ HM_GOP_SET, 0, 0, 0, KC_PSCI_SYSTEM_OFF };
		ops[n++] = (struct hm_guest_op){ HM_GOP_HVC, 0, 0, 0, 0 };
	}
	if (hm_guest_program(S.f.m, (uint16_t)vmid, 0, IMG_BASE, ops, n))
		fail_with("VM %" PRIu64 ": guest program refused", vmid);

	n = 0;
	for (unsigned p = 0; p < npages; p++) {
		ops[n++] = (struct hm_guest_op){ HM_GOP_SET, 5, 0, 0, secret(vmid, 0x100 + p) };
		ops[n++] = (struct hm_guest_op){ HM_GOP_STORE, 5, 8, DATA1_IPA + p * 4096ull, 0 };
	}
	for (unsigned p = 0; p < npages; p++) {
		ops[n++] = (struct hm_guest_op){ HM_GOP_LOAD, 6, 8, DATA1_IPA + p * 4096ull, 0 };
		ops[n++] = (struct hm_guest_op){ HM_GOP_EXPECT, 6, 0, 0, secret(vmid, 0x100 + p) };
	}
	if (hm_guest_program(S.f.m, (uint16_t)vmid, 1, VCPU1_PC, ops, n))
		fail_with("VM %" PRIu64 ": vCPU 1's guest program refused", vmid);
}

/* ---- operations ------------------------------------------------------------- */

/* Bring a VM up in an empty slot: every step must succeed but for a full machine. */
static void op_vm_up(unsigned cpu, struct cpu_state *c, unsigned s)
{
	struct slot *sl = &c->slots[s];
	uint64_t r[3];
	int st = call(cpu, KC_HC_VM_CREATE, 0, 0, 0, 0, r);

	if (st == KC_ENOMEM)
		return; /* every id in use: other CPUs hold them */
	if (st != KC_OK)
		FAIL("CPU %u: VM_CREATE: %d", cpu, st);
	*sl = (struct slot){ SLOT_OFF, r[0], 2 + below(&c->rng, MAX_PAGES - 1), 0, 0, false };
	/* Before anything else: another CPU may verify and run it as soon as its image is in. */
	install_program(&c->rng, sl->id, sl->npages);
	uint64_t pfn = frame_take(c, s);
	uint8_t page[4096];
	memset(page, IMG_FILL, sizeof(page));
	if (!pfn)
		return; /* out of frames: the VM is torn down as an OFF one */
	if (hm_host_store(S.f.m, cpu, pfn << 12, page, sizeof(page), NULL) != HM_FAULT_NONE) {
		frame_untake(c, pfn);
		FAIL("CPU %u: host store to its own free frame 0x%" PRIx64 " refused", cpu, pfn);
	}
	/* ESTATE all along: another CPU powered it off (or verified it) half-built. */
	if ((st = call(cpu, KC_HC_VCPU_CREATE, sl->id, 0, 0, 0, NULL)) != KC_OK ||
	    (st = call(cpu, KC_HC_VCPU_CREATE, sl->id, 1, 0, 0, NULL)) != KC_OK ||
	    (st = call(cpu, KC_HC_VM_SET_IMAGE, sl->id, IMG_BASE, 4096, 0, r)) != KC_OK) {
		frame_untake(c, pfn);
		if (st == KC_ESTATE)
			return;
		FAIL("CPU %u: VM %" PRIu64 " setup: %d", cpu, sl->id, st);
	}
	uint64_t index = r[0];
	if (below(&c->rng, 2)) {
		/*
		 * A device page, exclusively: the host loses it (its mapping
		 * goes), and another VM asking for the same page is refused,
		 * until VM_RECLAIM or VM_DESTROY gives it back.
		 */
		static const int io_ok[] = { KC_OK, KC_EBUSY, KC_EPERM, KC_ESTATE, KC_ENOMEM };
		uint64_t k = below(&c->rng, DEV_PAGES);
		st = call(cpu, KC_HC_VM_MAP_IO, sl->id, DEV_GPA + k * 4096, KF_DEV_BASE + k * 4096,
			  1, NULL);
		c->io_maps += st == KC_OK;
		if (!status_in(st, io_ok, sizeof(io_ok) / sizeof(io_ok[0]))) {
			frame_untake(c, pfn);
			FAIL("CPU %u: VM_MAP_IO of VM %" PRIu64 ": %d", cpu, sl->id, st);
		}
	}
	try_donate_mapped(cpu, c, KC_HC_VM_LOAD_IMAGE_PAGE, sl->id, index, 0);
	st = call(cpu, KC_HC_VM_LOAD_IMAGE_PAGE, sl->id, index, pfn, 0, NULL);
	if (st == KC_ENOMEM || st == KC_ESTATE) {
		frame_untake(c, pfn); /* the remap window is full, or powered off by another CPU */
		return;
	}
	if (st != KC_OK) {
		frame_untake(c, pfn);
		FAIL("CPU %u: VM %" PRIu64 " LOAD_IMAGE_PAGE: %d", cpu, sl->id, st);
	}
	c->gfn[pfn - c->first] = IMG_BASE >> 12;
	st = call(cpu, KC_HC_VM_VERIFY, sl->id, S.manifest_pfn, 0, 0, NULL);
	/* Another CPU may have powered it off (an attack on a VM not yet verified). */
	if (st == KC_ESTATE)
		return;
	if (st != KC_OK)
		FAIL("CPU %u: VM %" PRIu64 " VERIFY: %d", cpu, sl->id, st);
	sl->phase = SLOT_LIVE;
	c->vms_made++;
}

/* Run a vCPU of a live VM of this CPU once, and back the fault it reports. */
static void op_run(unsigned cpu, struct cpu_state *c, unsigned s)
{
	struct slot *sl = &c->slots[s];
	unsigned vcpu = below(&c->rng, 2);
	uint64_t r[3];
	int st = call(cpu, KC_HC_VCPU_RUN, sl->id, vcpu, KC_RUN_RESUME, 0, r);

	c->runs++;
	if (st == KC_ESTATE && vcpu == 1)
		return; /* vCPU 0 has not started it yet (or the VM is off: vCPU 0 will tell) */
	if (st == KC_ESTATE) {
		sl->phase = SLOT_OFF; /* another CPU powered it off */
		return;
	}
	if (st == KC_EBUSY)
		return; /* another CPU is running it */
	if (st != KC_OK)
		FAIL("CPU %u: VCPU_RUN of VM %" PRIu64 ": %d", cpu, sl->id, st);
	unsigned kind = KC_EXIT_KIND(r[0]);
	if (kind == KC_EXIT_POWEROFF) {
		sl->phase = SLOT_OFF;
	} else if (kind == KC_EXIT_FAULT) {
		try_donate_mapped(cpu, c, KC_HC_VM_MAP_FAULT, sl->id, vcpu, 3);
		uint64_t pfn = frame_take(c, s);
		if (!pfn)
			return;
		st = call(cpu, KC_HC_VM_MAP_FAULT, sl->id, vcpu, pfn, 3, NULL);
		/* ESTATE/EBUSY: another CPU ran it (and consumed the fault) or powered it off. */
		if (st != KC_OK)
			frame_untake(c, pfn);
		if (st == KC_OK) {
			c->gfn[pfn - c->first] = r[1] >> 12;
			c->faults++;
			c->faults1 += vcpu;
			if (vcpu == 0 && r[1] == DATA_IPA)
				sl->page0 = pfn;
		} else if (st != KC_ESTATE && st != KC_EBUSY && st != KC_ENOMEM) {
			fail_with("CPU %u: VM_MAP_FAULT of VM %" PRIu64 " at 0x%" PRIx64 ": %d",
				  cpu, sl->id, r[1], st);
		}
	} else if (kind != KC_EXIT_WFI && kind != KC_EXIT_YIELD && kind != KC_EXIT_IRQ &&
		   kind != KC_EXIT_CPU_ON) {
		fail_with("CPU %u: VM %" PRIu64 " exit 0x%" PRIx64, cpu, sl->id, r[0]);
	}
}

static void vmdom_free(unsigned cpu, struct cpu_state *c, unsigned s);

/* Power off (if live), reclaim a few frames, destroy when none are left. */
static void op_teardown(unsigned cpu, struct cpu_state *c, unsigned s)
{
	static const int off_ok[] = { KC_OK, KC_ESTATE, KC_EBUSY };
	struct slot *sl = &c->slots[s];
	uint64_t r[3];
	int st;

	if (sl->dom && sl->phase == SLOT_OFF) {
		/* Its device first: kcore refuses to reclaim a VM that owns a domain. */
		if (below(&c->rng, 4) == 0) {
			/* Off now (if it was not), and RECLAIM refused while its domain lives. */
			call(cpu, KC_HC_VM_POWEROFF, sl->id, 0, 0, 0, NULL);
			st = call(cpu, KC_HC_VM_RECLAIM, sl->id, 1, 0, 0, r);
			if (st == KC_OK)
				FAIL("CPU %u: VM_RECLAIM of %" PRIu64 " with IO domain %" PRIu64
				     " went through",
				     cpu, sl->id, sl->dom);
		}
		vmdom_free(cpu, c, s);
		return;
	}

	if (sl->phase == SLOT_LIVE) {
		st = call(cpu, KC_HC_VM_POWEROFF, sl->id, 0, 0, 0, NULL);
		if (!status_in(st, off_ok, 3))
			FAIL("CPU %u: VM_POWEROFF of %" PRIu64 ": %d", cpu, sl->id, st);
		if (st != KC_EBUSY)
			sl->phase = SLOT_OFF;
		return;
	}
	/* An OFF slot: maybe never verified, or powered off by anyone. */
	st = call(cpu, KC_HC_VM_POWEROFF, sl->id, 0, 0, 0, NULL);
	if (!status_in(st, off_ok, 3))
		FAIL("CPU %u: VM_POWEROFF of %" PRIu64 ": %d", cpu, sl->id, st);
	st = call(cpu, KC_HC_VM_RECLAIM, sl->id, 1 + below(&c->rng, 8), 0, 0, r);
	if (st == KC_EBUSY)
		return; /* a vCPU still running on another CPU */
	if (st != KC_OK)
		FAIL("CPU %u: VM_RECLAIM of %" PRIu64 ": %d", cpu, sl->id, st);
	frames_of_slot(c, s, r[0] ? FRAME_UNKNOWN : FRAME_FREE);
	if (r[0])
		return;
	st = call(cpu, KC_HC_VM_DESTROY, sl->id, 0, 0, 0, NULL);
	if (st == KC_EBUSY)
		return;
	if (st != KC_OK)
		FAIL("CPU %u: VM_DESTROY of %" PRIu64 ": %d", cpu, sl->id, st);
	*sl = (struct slot){ SLOT_EMPTY, 0, 0, 0, 0, false };
	c->vms_destroyed++;
}

/*
 * A host load anywhere in RAM (kcore's pool too): refused or allowed, never
 * a guest's private data.
 */
static void op_host_load(unsigned cpu, struct cpu_state *c)
{
	/*
	 * Mostly the CPUs' frames, where VMs live; sometimes anywhere from the
	 * fixture's up; sometimes a device page.
	 */
	bool anywhere = below(&c->rng, 8) == 0;
	uint64_t lo = anywhere ? KF_HOST_FRAMES >> 12 : S.cpus[0].first;
	uint64_t hi = anywhere ? (KF_RAM_BASE + KF_RAM_SIZE) >> 12 : S.host_end;
	uint64_t pfn = lo + rnd(&c->rng) % (hi - lo), off = 0 /* where guests store */, v = 0;
	if (below(&c->rng, 16) == 0)
		pfn = (KF_DEV_BASE >> 12) + below(&c->rng, DEV_PAGES); /* one VMs may claim */
	enum hm_fault e = hm_host_load(S.f.m, cpu, (pfn << 12) + off, &v, 8, NULL);

	if (e == HM_FAULT_NONE && (v & TAG_MASK) == STRESS_SECRET)
		FAIL("CPU %u: the host read guest secret 0x%" PRIx64 " at 0x%" PRIx64, cpu, v,
		     (pfn << 12) + off);
	if (e == HM_FAULT_NONE)
		c->host_ok++;
	else if (e == HM_FAULT_REFUSED)
		c->host_refused++;
	else
		fail_with("CPU %u: host load at 0x%" PRIx64 ": fault %d", cpu, pfn << 12, (int)e);
}

/* A host store to one of this CPU's frames: allowed exactly while the host owns it. */
static void op_host_store(unsigned cpu, struct cpu_state *c)
{
	uint64_t i = rnd(&c->rng) % c->nframes, pfn = c->first + i, v = 0x4057000000000000ull | i;
	enum hm_fault e = hm_host_store(S.f.m, cpu, pfn << 12, &v, 8, NULL);
	const struct slot *sl = &c->slots[c->owner_slot[i]];

	if (c->use[i] == FRAME_FREE && e != HM_FAULT_NONE)
		fail_with("CPU %u: host store to its own frame 0x%" PRIx64 ": fault %d", cpu, pfn,
			  (int)e);
	/* A VM's frame: refused, unless it is the page the guest shares (it may be, now). */
	else if (c->use[i] == FRAME_VM && e != HM_FAULT_REFUSED && pfn != sl->page0)
		fail_with("CPU %u: host store to VM %" PRIu64 "'s frame 0x%" PRIx64 ": fault %d",
			  cpu, sl->id, pfn, (int)e);
}

/* Calls on any VM (mostly other CPUs'): whatever they answer, kcore stays whole. */
static void op_foreign(unsigned cpu, struct cpu_state *c)
{
	uint64_t vm = 1 + below(&c->rng, S.f.cfg.max_vms), r[3];
	unsigned what = below(&c->rng, 7);
	int st = KC_OK;

	switch (what) {
	case 6: { /* any CPU's IO domain: look up (not logged: see call5), or misuse */
		uint64_t dom = 1 + below(&c->rng, S.f.cfg.max_iodoms);
		switch (below(&c->rng, 3)) {
		case 0:
			st = call5(cpu, KC_HC_IODOM_LOOKUP, dom,
				   HOST_IOVA + below(&c->rng, NIOVA) * 4096ull, 0, 0, 0, r, false);
			if (st != KC_OK && st != KC_ENOENT)
				FAIL("CPU %u: IODOM_LOOKUP of domain %" PRIu64 ": %d", cpu, dom,
				     st);
			break;
		case 1: /* a stream no SMMU has */
			st = call(cpu, KC_HC_IODOM_ATTACH, dom, below(&c->rng, 2) ? NSMMUS : 0,
				  SIDS_PER_CPU * MAX_THREADS, 0, NULL);
			/* EINVAL, or ENOENT for a free domain: which first is kcore's choice */
			if (st != KC_EINVAL && st != KC_ENOENT)
				FAIL("CPU %u: IODOM_ATTACH of a missing stream: %d", cpu, st);
			break;
		default: /* for a VM id out of range */
			st = call(cpu, KC_HC_IODOM_ALLOC, S.f.cfg.max_vms + 1, 0, 0, 0, r);
			if (st != KC_EINVAL && st != KC_ENOENT)
				FAIL("CPU %u: IODOM_ALLOC for VM %u: %d", cpu, S.f.cfg.max_vms + 1,
				     st);
			break;
		}
		break;
	}
	case 0: /* run it (a fault it reports is left to its owner) */
		st = call(cpu, KC_HC_VCPU_RUN, vm, below(&c->rng, 2), KC_RUN_RESUME, 0, r);
		break;
	case 1:
		st = call(cpu, KC_HC_VCPU_INJECT_IRQ, vm, below(&c->rng, 2),
			  32 + below(&c->rng, 32), 0xA0, NULL);
		break;
	case 2:
		st = call(cpu, KC_HC_VM_POWEROFF, vm, 0, 0, 0, NULL);
		break;
	case 3:
		st = call(cpu, KC_HC_VM_VERIFY, vm, S.manifest_pfn, 0, 0, NULL);
		break;
	case 4: {
		/* Map a frame the host does not own (kcore's, or one of this CPU's VMs'). */
		uint64_t pfn = KF_RAM_BASE >> 12;
		for (uint64_t k = 0; k < 64; k++) {
			uint64_t i = rnd(&c->rng) % c->nframes;
			if (c->use[i] == FRAME_VM) {
				pfn = c->first + i;
				break;
			}
		}
		st = call(cpu, KC_HC_VM_MAP_FAULT, vm, 0, pfn, 3, NULL);
		if (st == KC_OK)
			FAIL("CPU %u: VM_MAP_FAULT gave VM %" PRIu64 " frame 0x%" PRIx64
			     ", which the host does not own",
			     cpu, vm, pfn);
		break;
	}
	default: /* a physical interrupt for some CPU: a guest there exits */
		hm_guest_irq(S.f.m, below(&c->rng, nthreads));
		st = call(cpu, KC_HC_VERSION, 0, 0, 0, 0, NULL);
		break;
	}
	if (st > 0 || st < KC_ERR_MIN)
		fail_with("CPU %u: a foreign call answered %d", cpu, st);
}

/* ---- IO domains and DMA (docs/SMMU.md) ------------------------------------ */

static unsigned cpu_of(const struct cpu_state *c)
{
	return (unsigned)(c - S.cpus);
}

/* The streams: the host domain's j-th (0, 1), and VM slot s's. */
static void host_stream(unsigned cpu, unsigned j, unsigned *smmu, uint32_t *sid)
{
	*smmu = j;
	*sid = cpu * SIDS_PER_CPU + j;
}

static void vm_stream(unsigned cpu, unsigned s, unsigned *smmu, uint32_t *sid)
{
	*smmu = s % NSMMUS;
	*sid = cpu * SIDS_PER_CPU + 2 + s;
}

/* Detach the VM slot's stream and free its domain: both must succeed. */
static void vmdom_free(unsigned cpu, struct cpu_state *c, unsigned s)
{
	struct slot *sl = &c->slots[s];
	unsigned smmu;
	uint32_t sid;
	int st;

	vm_stream(cpu_of(c), s, &smmu, &sid); /* the teardown runs it on CPU 0 */
	if (sl->attached) {
		st = call(cpu, KC_HC_IODOM_DETACH, sl->dom, smmu, sid, 0, NULL);
		EXPECT_ST(st, KC_OK, "CPU %u: IODOM_DETACH of VM domain %" PRIu64 ": %d", cpu,
			  sl->dom, st);
		sl->attached = false;
	}
	st = call(cpu, KC_HC_IODOM_FREE, sl->dom, 0, 0, 0, NULL);
	EXPECT_ST(st, KC_OK, "CPU %u: IODOM_FREE of VM domain %" PRIu64 ": %d", cpu, sl->dom, st);
	sl->dom = 0;
	for (uint64_t i = 0; i < c->nframes; i++)
		if (c->use[i] == FRAME_VM && c->owner_slot[i] == s)
			c->iomapped[i] = 0;
}

/* Detach the host domain's streams and free it: its mappings go, the DMA counts drop. */
static void hostdom_free(unsigned cpu, struct cpu_state *c)
{
	struct hostdom *hd = &c->hd;
	unsigned smmu;
	uint32_t sid;
	int st;

	for (unsigned j = 0; j < 2; j++) {
		if (!hd->attached[j])
			continue;
		host_stream(cpu_of(c), j, &smmu, &sid);
		st = call(cpu, KC_HC_IODOM_DETACH, hd->id, smmu, sid, 0, NULL);
		EXPECT_ST(st, KC_OK, "CPU %u: IODOM_DETACH of host domain %" PRIu64 ": %d", cpu,
			  hd->id, st);
		hd->attached[j] = false;
	}
	st = call(cpu, KC_HC_IODOM_FREE, hd->id, 0, 0, 0, NULL);
	EXPECT_ST(st, KC_OK, "CPU %u: IODOM_FREE of host domain %" PRIu64 ": %d", cpu, hd->id, st);
	for (unsigned k = 0; k < NIOVA; k++) {
		if (hd->pfn[k])
			c->dmacnt[hd->pfn[k] - c->first]--;
		hd->pfn[k] = 0;
	}
	hd->id = 0;
}

/* A frame the host does not own: kcore's (image, pool), one of this CPU's VMs', an SMMU's registers. */
static uint64_t not_host_frame(struct cpu_state *c)
{
	switch (below(&c->rng, 4)) {
	case 0:
		return KF_RAM_BASE >> 12;
	case 1:
		return S.host_end +
		       rnd(&c->rng) % (((KF_RAM_BASE + KF_RAM_SIZE) >> 12) - S.host_end);
	case 2:
		return (HM_SMMU_MMIO_BASE >> 12) + below(&c->rng, 2) * (HM_SMMU_MMIO_SIZE >> 12);
	default:
		for (unsigned k = 0; k < 64; k++) {
			uint64_t i = rnd(&c->rng) % c->nframes;
			if (c->use[i] == FRAME_VM)
				return c->first + i;
		}
		return KF_RAM_BASE >> 12;
	}
}

/* The CPU's host domain: allocate, attach/detach, map its own frames, unmap, look up, free. */
static void op_hostdom(unsigned cpu, struct cpu_state *c)
{
	struct hostdom *hd = &c->hd;
	uint64_t r[3];
	unsigned smmu, k = below(&c->rng, NIOVA), j = below(&c->rng, 2);
	uint32_t sid;
	uint64_t iova = HOST_IOVA + k * 4096ull;
	int st;

	if (!hd->id) {
		st = call(cpu, KC_HC_IODOM_ALLOC, 0, 0, 0, 0, r);
		EXPECT_ST(st, KC_OK, "CPU %u: IODOM_ALLOC for the host: %d", cpu, st);
		*hd = (struct hostdom){ .id = r[0] };
		c->iodom_ok++;
		for (j = 0; j < 2; j++) { /* both streams: most DMA should find its domain */
			host_stream(cpu, j, &smmu, &sid);
			st = call(cpu, KC_HC_IODOM_ATTACH, hd->id, smmu, sid, 0, NULL);
			EXPECT_ST(st, KC_OK, "CPU %u: IODOM_ATTACH of a new host domain: %d", cpu,
				  st);
			hd->attached[j] = true;
		}
		return;
	}
	switch (below(&c->rng, 12)) {
	case 0:
	case 1: /* attach or detach stream j (attaching it again: EEXIST) */
		host_stream(cpu, j, &smmu, &sid);
		if (hd->attached[j] && below(&c->rng, 4) == 0) {
			st = call(cpu, KC_HC_IODOM_ATTACH, hd->id, smmu, sid, 0, NULL);
			EXPECT_ST(st, KC_EEXIST, "CPU %u: IODOM_ATTACH again: %d", cpu, st);
			c->iodom_refused++;
		} else {
			st = call(cpu, hd->attached[j] ? KC_HC_IODOM_DETACH : KC_HC_IODOM_ATTACH,
				  hd->id, smmu, sid, 0, NULL);
			EXPECT_ST(st, KC_OK, "CPU %u: IODOM_%s of host domain %" PRIu64 ": %d", cpu,
				  hd->attached[j] ? "DETACH" : "ATTACH", hd->id, st);
			hd->attached[j] = !hd->attached[j];
			c->iodom_ok++;
		}
		break;
	case 2:
	case 3:
	case 4:
	case 8: { /* map one of its frames: OK exactly while the host owns it */
		uint64_t i = rnd(&c->rng) % c->nframes, pfn = c->first + i;
		bool w = below(&c->rng, 3) != 0;
		if (c->use[i] == FRAME_UNKNOWN)
			break; /* mid-reclaim: the host's or still the VM's */
		st = call5(cpu, KC_HC_IODOM_MAP, hd->id, iova, pfn << 12, 1,
			   w ? KC_IO_R | KC_IO_W : KC_IO_R, NULL, true);
		int want = hd->pfn[k] ? KC_EEXIST : c->use[i] == FRAME_FREE ? KC_OK : KC_EPERM;
		/* EEXIST or EPERM: which is checked first is kcore's choice. */
		if (hd->pfn[k] && c->use[i] != FRAME_FREE && st == KC_EPERM)
			want = KC_EPERM;
		EXPECT_ST(st, want,
			  "CPU %u: IODOM_MAP of its %s frame 0x%" PRIx64 " at 0x%" PRIx64
			  " (%s): %d, not %d",
			  cpu, c->use[i] == FRAME_FREE ? "free" : "VM's", pfn, iova,
			  hd->pfn[k] ? "mapped" : "unmapped", st, want);
		if (st == KC_OK) {
			hd->pfn[k] = pfn;
			hd->w[k] = w;
			c->dmacnt[i]++;
			c->iodom_ok++;
		} else {
			c->iodom_refused++;
		}
		break;
	}
	case 5: { /* what the host does not own: refused */
		uint64_t pfn = not_host_frame(c);
		st = call5(cpu, KC_HC_IODOM_MAP, hd->id, iova, pfn << 12, 1, KC_IO_R | KC_IO_W,
			   NULL, true);
		if (st == KC_OK)
			FAIL("CPU %u: IODOM_MAP gave host domain %" PRIu64 " frame 0x%" PRIx64
			     ", which the host does not own",
			     cpu, hd->id, pfn);
		c->iodom_refused++;
		break;
	}
	case 6:
	case 7: /* unmap (what is not mapped: ENOENT) */
		st = call(cpu, KC_HC_IODOM_UNMAP, hd->id, iova, 1, 0, NULL);
		EXPECT_ST(st, hd->pfn[k] ? KC_OK : KC_ENOENT,
			  "CPU %u: IODOM_UNMAP of 0x%" PRIx64 " (%s): %d", cpu, iova,
			  hd->pfn[k] ? "mapped" : "unmapped", st);
		if (hd->pfn[k]) {
			c->dmacnt[hd->pfn[k] - c->first]--;
			hd->pfn[k] = 0;
			/* The device stops there at once: no IOTLB entry outlives the call. */
			uint64_t v;
			host_stream(cpu, j, &smmu, &sid);
			enum hm_dma_fault e = hm_dma_read(S.f.m, smmu, sid, iova, &v, 8);
			if (e == HM_DMA_OK)
				FAIL("CPU %u: DMA read at 0x%" PRIx64 " through SMMU %u stream %u "
				     "went through after IODOM_UNMAP returned",
				     cpu, iova, smmu, sid);
		}
		break;
	case 9: { /* look up */
		uint64_t off = rnd(&c->rng) & 0xFFF;
		st = call(cpu, KC_HC_IODOM_LOOKUP, hd->id, iova + off, 0, 0, r);
		if (hd->pfn[k] ? st != KC_OK || r[0] != ((hd->pfn[k] << 12) | off) ||
					 r[1] != (hd->w[k] ? KC_IO_R | KC_IO_W : KC_IO_R)
			       : st != KC_ENOENT)
			FAIL("CPU %u: IODOM_LOOKUP of 0x%" PRIx64 ": %d 0x%" PRIx64 " %" PRIu64
			     ", it maps 0x%" PRIx64,
			     cpu, iova + off, st, r[0], r[1], hd->pfn[k]);
		break;
	}
	case 10: /* free: with a stream attached EBUSY, then detach and free */
		if ((hd->attached[0] || hd->attached[1]) && below(&c->rng, 2)) {
			st = call(cpu, KC_HC_IODOM_FREE, hd->id, 0, 0, 0, NULL);
			EXPECT_ST(st, KC_EBUSY, "CPU %u: IODOM_FREE with a stream attached: %d",
				  cpu, st);
			c->iodom_refused++;
			break;
		}
		if (below(&c->rng, 3) == 0)
			hostdom_free(cpu, c);
		break;
	default: { /* the oldest stopped DMA (any CPU's) */
		st = call(cpu, KC_HC_SMMU_EVENT, 0, 0, 0, 0, r);
		if (st == KC_OK) {
			c->events++;
			if ((r[0] >> 32) >= NSMMUS || (uint32_t)r[0] >= SIDS_PER_CPU * nthreads ||
			    (r[2] & 0xFF) < KC_SMMU_F_TRANSLATION ||
			    (r[2] & 0xFF) > KC_SMMU_F_OTHER)
				FAIL("CPU %u: SMMU_EVENT 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64,
				     cpu, r[0], r[1], r[2]);
		} else if (st != KC_ENOENT) {
			FAIL("CPU %u: SMMU_EVENT: %d", cpu, st);
		}
		break;
	}
	}
}

/* A frame of VM slot s (FRAME_VM), its index, or ~0 if it has none. */
static uint64_t vm_frame(struct cpu_state *c, unsigned s)
{
	uint64_t i0 = rnd(&c->rng) % c->nframes;
	for (uint64_t k = 0; k < c->nframes; k++) {
		uint64_t i = (i0 + k) % c->nframes;
		if (c->use[i] == FRAME_VM && c->owner_slot[i] == s)
			return i;
	}
	return ~0ull;
}

/* A VM's IO domain: its frames at IOVA = gfn, nothing else. */
static void op_vmdom(unsigned cpu, struct cpu_state *c, unsigned s)
{
	struct slot *sl = &c->slots[s];
	uint64_t r[3];
	unsigned smmu;
	uint32_t sid;
	int st;

	if (sl->phase == SLOT_EMPTY)
		return;
	vm_stream(cpu, s, &smmu, &sid);
	if (!sl->dom) {
		st = call(cpu, KC_HC_IODOM_ALLOC, sl->id, 0, 0, 0, r);
		/* ESTATE: powered off (by anyone) */
		if (st != KC_OK && st != KC_ESTATE)
			FAIL("CPU %u: IODOM_ALLOC for VM %" PRIu64 ": %d", cpu, sl->id, st);
		if (st != KC_OK)
			return;
		sl->dom = r[0], c->iodom_ok++;
		st = call(cpu, KC_HC_IODOM_ATTACH, sl->dom, smmu, sid, 0, NULL);
		EXPECT_ST(st, KC_OK, "CPU %u: IODOM_ATTACH of a new VM domain: %d", cpu, st);
		sl->attached = true;
		return;
	}
	uint64_t i = vm_frame(c, s);
	switch (below(&c->rng, 7)) {
	case 0: /* attach or detach its stream */
		st = call(cpu, sl->attached ? KC_HC_IODOM_DETACH : KC_HC_IODOM_ATTACH, sl->dom,
			  smmu, sid, 0, NULL);
		EXPECT_ST(st, KC_OK, "CPU %u: IODOM_%s of VM domain %" PRIu64 ": %d", cpu,
			  sl->attached ? "DETACH" : "ATTACH", sl->dom, st);
		sl->attached = !sl->attached;
		break;
	case 1:
	case 2:
	case 6: /* map one of the VM's frames at its gfn */
		if (i == ~0ull)
			break;
		st = call5(cpu, KC_HC_IODOM_MAP, sl->dom, c->gfn[i] << 12, (c->first + i) << 12, 1,
			   KC_IO_R | KC_IO_W, NULL, true);
		if (c->iomapped[i] ? st != KC_EEXIST : st != KC_OK && st != KC_ESTATE)
			FAIL("CPU %u: IODOM_MAP of VM %" PRIu64 "'s frame 0x%" PRIx64
			     " at its gfn 0x%" PRIx64 " (%s): %d",
			     cpu, sl->id, c->first + i, c->gfn[i],
			     c->iomapped[i] ? "mapped" : "unmapped", st);
		if (st == KC_OK)
			c->iomapped[i] = 1, c->iodom_ok++;
		break;
	case 3: { /* elsewhere than its gfn, or a host frame: refused */
		uint64_t h = rnd(&c->rng) % c->nframes;
		bool host = i == ~0ull || below(&c->rng, 2);
		if (host && c->use[h] != FRAME_FREE)
			break;
		uint64_t iova = host ? (IMG_BASE >> 12) + 0x4000 + h : c->gfn[i] + 0x4000;
		uint64_t pfn = host ? c->first + h : c->first + i;
		st = call5(cpu, KC_HC_IODOM_MAP, sl->dom, iova << 12, pfn << 12, 1, KC_IO_R, NULL,
			   true);
		if (st == KC_OK)
			FAIL("CPU %u: IODOM_MAP gave VM %" PRIu64 "'s domain %s frame 0x%" PRIx64
			     " at 0x%" PRIx64,
			     cpu, sl->id, host ? "host" : "its own", pfn, iova << 12);
		c->iodom_refused++;
		break;
	}
	case 4: /* unmap */
		if (i == ~0ull)
			break;
		st = call(cpu, KC_HC_IODOM_UNMAP, sl->dom, c->gfn[i] << 12, 1, 0, NULL);
		EXPECT_ST(st, c->iomapped[i] ? KC_OK : KC_ENOENT,
			  "CPU %u: IODOM_UNMAP of VM %" PRIu64 "'s gfn 0x%" PRIx64 ": %d", cpu,
			  sl->id, c->gfn[i], st);
		c->iomapped[i] = 0;
		break;
	default:
		if (below(&c->rng, 3) == 0)
			vmdom_free(cpu, c, s);
		break;
	}
}

/* Log a DMA that went through, for the model's verdict at the next quiescent point. */
static void log_dma(unsigned cpu, unsigned smmu, uint32_t sid, uint64_t iova, bool write,
		    uint64_t owner)
{
	uint64_t in[7] = { DMA_MARK, smmu, sid, iova, write, owner, 0 }, out[7] = { 0 };
	log_entry(cpu, ticket(), in, out);
}

/*
 * A device behind one of this CPU's streams: it knows exactly what the
 * stream's domain maps (only this CPU changes it), so a DMA goes through
 * exactly when the page is mapped with the rights, reaches that frame, and
 * never sees another VM's (or, through the host's domain, any guest's)
 * private data.
 */
static void op_dma(unsigned cpu, struct cpu_state *c)
{
	/* Half through the host domain's streams, half through a VM slot's (mostly one with a domain). */
	unsigned s = below(&c->rng, 2) ? SLOTS : below(&c->rng, SLOTS), smmu;
	bool write = below(&c->rng, 2);
	if (s < SLOTS && !c->slots[s].dom && below(&c->rng, 4))
		s = (s + 1) % SLOTS;
	uint32_t sid;
	uint64_t iova, pfn, v = 0, owner;
	bool mapped;

	if (s == SLOTS) { /* the host domain's */
		unsigned j = below(&c->rng, 2), k = below(&c->rng, NIOVA);
		/* Mostly where it maps something. */
		if (below(&c->rng, 4))
			for (unsigned n = 0; n < NIOVA && !c->hd.pfn[k]; n++)
				k = (k + 1) % NIOVA;
		host_stream(cpu, j, &smmu, &sid);
		iova = HOST_IOVA + k * 4096ull;
		pfn = c->hd.pfn[k];
		mapped = c->hd.id && c->hd.attached[j] && pfn && (!write || c->hd.w[k]);
		owner = 0;
	} else {
		struct slot *sl = &c->slots[s];
		uint64_t i = vm_frame(c, s);
		for (unsigned n = 0; n < 4 && i != ~0ull && !c->iomapped[i]; n++)
			i = vm_frame(c, s); /* mostly where its domain maps something */
		if (sl->phase == SLOT_EMPTY || i == ~0ull)
			return;
		vm_stream(cpu, s, &smmu, &sid);
		iova = (c->gfn[i] << 12) + (write ? 8 : 0); /* the guests use offset 0 */
		pfn = c->first + i;
		mapped = sl->dom && sl->attached && c->iomapped[i];
		owner = sl->id;
	}
	uint64_t val =
		(owner ? DMA_VM : DMA_OWN) | (uint64_t)cpu << 32 | (c->ops_done & 0xFFFFFFFF);
	enum hm_dma_fault e = write ? hm_dma_write(S.f.m, smmu, sid, iova, &val, 8)
				    : hm_dma_read(S.f.m, smmu, sid, iova, &v, 8);
	if ((e == HM_DMA_OK) != mapped)
		FAIL("CPU %u: DMA %s at 0x%" PRIx64 " through SMMU %u stream %u (%s domain): %d, "
		     "but it is %smapped",
		     cpu, write ? "write" : "read", iova, smmu, sid, owner ? "a VM's" : "the host",
		     (int)e, mapped ? "" : "not ");
	if (e != HM_DMA_OK) {
		c->dma_stopped++;
		return;
	}
	c->dma_ok++;
	log_dma(cpu, smmu, sid, iova, write, owner);
	if (!write && (v & TAG_MASK) == STRESS_SECRET && (!owner || ((v >> 16) & 0xFFFF) != owner))
		FAIL("CPU %u: DMA through %s domain read secret 0x%" PRIx64 " at 0x%" PRIx64, cpu,
		     owner ? "a VM's" : "the host's", v, iova);
	/* The write reached that frame (a device on another CPU may have written it since). */
	const uint64_t *p = hm_phys(S.f.m, (pfn << 12) + (iova & 0xFFF), 8);
	uint64_t now = __atomic_load_n(p, __ATOMIC_RELAXED);
	if (write && !owner && now != val && (now & TAG_MASK) != DMA_WILD)
		FAIL("CPU %u: DMA write of 0x%" PRIx64 " at 0x%" PRIx64 " did not reach frame "
		     "0x%" PRIx64 " (0x%" PRIx64 ")",
		     cpu, val, iova, pfn, now);
}

/*
 * A device behind another CPU's host-domain stream, while that CPU maps,
 * unmaps, frees and donates: whatever it gets through to must not be a
 * guest's; a write that lands in a frame after its donation shows as a
 * guest's data changing under it (hm_guest_failures).
 */
static void op_dma_wild(unsigned cpu, struct cpu_state *c)
{
	unsigned u = below(&c->rng, nthreads), j = below(&c->rng, 2), smmu;
	uint32_t sid;
	uint64_t iova = HOST_IOVA + below(&c->rng, NIOVA) * 4096ull, v = 0,
		 val = DMA_WILD | (uint64_t)cpu << 32 | (c->ops_done & 0xFFFFFFFF);
	bool write = below(&c->rng, 2);

	host_stream(u, j, &smmu, &sid);
	enum hm_dma_fault e = write ? hm_dma_write(S.f.m, smmu, sid, iova, &val, 8)
				    : hm_dma_read(S.f.m, smmu, sid, iova, &v, 8);
	if (e == HM_DMA_OK && (v & TAG_MASK) == STRESS_SECRET)
		FAIL("CPU %u: DMA through CPU %u's host domain read guest secret 0x%" PRIx64
		     " at 0x%" PRIx64,
		     cpu, u, v, iova);
	if (e == HM_DMA_OK)
		c->wild_ok++;
	else
		c->wild_stopped++;
}

static void one_op(unsigned cpu, struct cpu_state *c)
{
	unsigned s = below(&c->rng, SLOTS), k = below(&c->rng, 100);
	struct slot *sl = &c->slots[s];

	if (k < 45) {
		if (sl->phase == SLOT_EMPTY)
			op_vm_up(cpu, c, s);
		else if (sl->phase == SLOT_LIVE)
			op_run(cpu, c, s);
		else
			op_teardown(cpu, c, s);
	} else if (k < 50) {
		if (sl->phase != SLOT_EMPTY)
			op_teardown(cpu, c, s);
	} else if (k < 60) {
		op_host_load(cpu, c);
	} else if (k < 70) {
		op_host_store(cpu, c);
	} else if (k < 78) {
		op_foreign(cpu, c);
	} else if (k < 84) {
		op_hostdom(cpu, c);
	} else if (k < 89) {
		op_vmdom(cpu, c, s);
	} else if (k < 96) {
		op_dma(cpu, c);
	} else {
		op_dma_wild(cpu, c);
	}
}

/* ---- quiescent checks --------------------------------------------------- */

static int by_ticket(const void *a, const void *b)
{
	const struct logged *x = a, *y = b;
	return x->ticket < y->ticket ? -1 : x->ticket > y->ticket;
}

/*
 * A DMA that went through (in: mark, smmu, sid, iova, write, the owner the
 * CPU thought its domain had), in its place among the calls: the model's
 * stream must translate through a domain of that owner that maps the page
 * (writable for a write) to a frame of that owner.
 */
static void model_dma(const uint64_t in[7], struct rp_result *res)
{
	unsigned owner = ~0u;
	bool ram;
	const struct rp_iomap *m =
		rp_model_iova(&S.model, (unsigned)in[1], (unsigned)in[2], in[3], &owner);
	unsigned fo = m ? rp_model_owner_of(&S.model, m->pa, &ram) : ~0u;
	if (!m || owner != in[5] || (in[4] && !m->w) || !ram || fo != owner) {
		res->oracle_fail = true;
		snprintf(res->note, sizeof(res->note),
			 "model: a DMA %s at 0x%" PRIx64 " through SMMU %" PRIu64 " stream %" PRIu64
			 " went through; the model %s (domain of %u, frame of %u)",
			 in[4] ? "write" : "read", in[3], in[1], in[2],
			 m ? "maps it otherwise" : "maps nothing there", owner, fo);
	}
}

/* All CPUs parked: feed the model, compare, check invariants 1-7. */
static void quiescent_check(const char *when)
{
	unsigned total = 0;
	for (unsigned t = 0; t < nthreads; t++)
		total += S.cpus[t].nlog;
	struct logged *all = malloc((total + 1) * sizeof(*all));
	unsigned n = 0;
	if (!all)
		FAIL("out of memory");
	for (unsigned t = 0; t < nthreads; t++) {
		memcpy(&all[n], S.cpus[t].log, S.cpus[t].nlog * sizeof(*all));
		n += S.cpus[t].nlog;
		S.cpus[t].nlog = 0;
	}
	qsort(all, n, sizeof(*all), by_ticket);
	struct rp_result res = { 0 };
	for (unsigned i = 0; i < n && !res.oracle_fail; i++) {
		if (all[i].in[0] == DMA_MARK)
			model_dma(all[i].in, &res);
		else
			rp_model_call(&S.model, all[i].in, all[i].out, &res);
	}
	free(all);
	if (!res.oracle_fail)
		rp_model_compare(&S.model, &res);
	if (res.oracle_fail)
		FAIL("%s: %s", when, res.note);
	char why[300];
	if (hm_check(S.f.m, why, sizeof(why)))
		FAIL("%s: %s", when, why);
	if (hm_guest_failures(S.f.m, why, sizeof(why)))
		FAIL("%s: a guest saw wrong data: %s", when, why);
}

static void cpu_main(unsigned cpu, void *arg)
{
	struct cpu_state *c = &S.cpus[cpu];
	(void)arg;

	for (unsigned i = 0; i < nops; i++) {
		if (!failed()) {
			one_op(cpu, c);
			c->ops_done++;
		}
		if ((i + 1) % every == 0 || i + 1 == nops) {
			if (pthread_barrier_wait(&S.barrier) == PTHREAD_BARRIER_SERIAL_THREAD &&
			    !failed()) {
				char when[64];
				snprintf(when, sizeof(when), "after %u operations per CPU", i + 1);
				quiescent_check(when);
			}
			pthread_barrier_wait(&S.barrier);
		}
	}
}

/* ---- the test ------------------------------------------------------------ */

static void teardown_all(void)
{
	for (unsigned t = 0; t < nthreads; t++) {
		struct cpu_state *c = &S.cpus[t];
		if (c->hd.id && !failed())
			hostdom_free(t, c); /* as its CPU: the streams are numbered by CPU */
		for (unsigned s = 0; s < SLOTS && !failed(); s++) {
			for (unsigned tries = 0; c->slots[s].phase != SLOT_EMPTY && !failed();
			     tries++) {
				if (tries > 10000)
					fail_with("VM %" PRIu64 " would not go away",
						  c->slots[s].id);
				op_teardown(0, c, s);
			}
		}
	}
}

static void test_stress(void **state)
{
	(void)state;
	struct hm_config mc = {
		.ram_base = KF_RAM_BASE,
		.ram_size = KF_RAM_SIZE,
		.devices = { { KF_DEV_BASE, KF_DEV_SIZE } },
		.ndevices = 1,
		.ncpus = nthreads,
		.rng_seed = seed,
		.nsmmus = NSMMUS,
		.smmu_streams = SIDS_PER_CPU * MAX_THREADS,
	};
	char err[200];

	/* kf_setup's machine has 2 CPUs: build one with N the same way. */
	kf_setup_vms(&S.f, nthreads + 2); /* fewer than SLOTS each: CPUs compete for ids */
	hm_machine_destroy(S.f.m);
	assert_int_equal(hm_machine_create(&mc, &S.f.m), 0);
	S.f.cfg.remap_pages = 16384; /* one window slot per image page, never reused */
	/* Enough that ALLOC never runs out: a host domain per CPU, one per VM slot. */
	S.f.cfg.max_iodoms = nthreads * (1 + SLOTS);
	S.f.cfg.iodom_pool_pages = KF_IODOM_POOL_PAGES;
	assert_int_equal(hm_kcore_boot(S.f.m, &S.f.cfg), KC_OK);
	kf_check(&S.f);
	assert_true(rp_model_init(&S.model, S.f.m, KF_RAM_BASE, KF_RAM_SIZE, S.f.cfg.max_vms, err,
				  sizeof(err)));
	S.model.ids_in_order = false; /* CPUs race for ids */
	S.model.check_scrub = false;  /* the host may write a frame before the next compare */

	uint8_t img[4096];
	memset(img, IMG_FILL, sizeof(img));
	struct kf_image image = { IMG_BASE, 1, IMG_FILL };
	/* Signed layout (kf_layout): RAM where the images and data are, a device window at DEV_GPA. */
	struct kc_manifest_layout layout;
	kf_layout(&layout, false);
	assert_true(DEV_GPA == KF_LAYOUT_IO && DEV_PAGES * 4096 <= KF_LAYOUT_IO_SIZE);
	S.manifest_pfn = kf_manifest_v2(&S.f, &image, 1, IMG_BASE, &layout);

	/* Each CPU's frames: an equal share of host RAM above the fixture's 4 MiB. */
	uint64_t first = (KF_HOST_FRAMES + (4ull << 20)) >> 12;
	S.host_end = hm_kcore_pool(S.f.m).base >> 12; /* kcore's pool tops RAM */
	uint64_t per = (S.host_end - first) / nthreads;
	for (unsigned t = 0; t < nthreads; t++) {
		struct cpu_state *c = &S.cpus[t];
		uint64_t z = seed ^ (0xC0FFEEull * (t + 1));
		c->rng = rnd(&z);
		c->first = first + t * per;
		c->nframes = per;
		c->use = calloc(per, 1);
		c->owner_slot = calloc(per, 1);
		c->dmacnt = calloc(per, 1);
		c->iomapped = calloc(per, 1);
		c->gfn = calloc(per, sizeof(*c->gfn));
		assert_non_null(c->dmacnt);
		assert_non_null(c->iomapped);
		assert_non_null(c->gfn);
		c->log_cap = every * 8 + 16;
		c->log = calloc(c->log_cap, sizeof(*c->log));
		assert_non_null(c->use);
		assert_non_null(c->owner_slot);
		assert_non_null(c->log);
	}
	assert_int_equal(pthread_barrier_init(&S.barrier, NULL, nthreads), 0);

	assert_int_equal(hm_run_parallel(S.f.m, cpu_main, NULL), 0);
	pthread_barrier_destroy(&S.barrier);

	/* The end: tear every VM down on CPU 0, then every frame but kcore's is the host's. */
	if (!failed()) {
		teardown_all();
		quiescent_check("after the teardown");
	}
	if (!failed()) {
		for (uint64_t i = 0; i < S.model.nframes; i++) {
			int o = kf_frame_owner(S.model.ram_pfn + i);
			if (o != KF_OWNER_HOST && o != KF_OWNER_CORE) {
				fail_with("after the teardown frame 0x%" PRIx64 " is VM %d's",
					  S.model.ram_pfn + i, o);
				break;
			}
		}
	}

	unsigned long ops = 0, runs = 0, faults = 0, faults1 = 0, io = 0, made = 0, gone = 0,
		      hok = 0, href = 0, iok = 0, iref = 0, dok = 0, dstop = 0, wok = 0, wstop = 0,
		      busy = 0, ev = 0;
	for (unsigned t = 0; t < nthreads; t++) {
		struct cpu_state *c = &S.cpus[t];
		ops += c->ops_done, runs += c->runs, faults += c->faults, faults1 += c->faults1,
			io += c->io_maps;
		made += c->vms_made, gone += c->vms_destroyed;
		hok += c->host_ok, href += c->host_refused;
		iok += c->iodom_ok, iref += c->iodom_refused, dok += c->dma_ok,
			dstop += c->dma_stopped, wok += c->wild_ok, wstop += c->wild_stopped;
		busy += c->busy_donations, ev += c->events;
		free(c->use);
		free(c->owner_slot);
		free(c->dmacnt);
		free(c->iomapped);
		free(c->gfn);
		free(c->log);
	}
	printf("# stress: seed %" PRIu64 ", %u CPUs x %u operations, checked every %u: %lu ops, "
	       "%lu VMs verified, %lu destroyed, %lu runs, %lu faults backed (%lu of vCPU 1), %lu "
	       "device pages claimed, host loads %lu allowed / %lu refused\n",
	       seed, nthreads, nops, every, ops, made, gone, runs, faults, faults1, io, hok, href);
	printf("# stress: IO domain calls %lu done / %lu refused, DMA through own streams %lu "
	       "went through / %lu stopped, through other CPUs' %lu / %lu, donations of "
	       "DMA-mapped frames refused %lu, SMMU events taken %lu\n",
	       iok, iref, dok, dstop, wok, wstop, busy, ev);
	rp_model_free(&S.model);
	if (failed())
		fail_msg("seed %" PRIu64 ": %s", seed, S.why);
	kf_teardown(&S.f);
}

static uint64_t param(const char *env, uint64_t dflt)
{
	const char *v = getenv(env);
	return v && *v ? strtoull(v, NULL, 0) : dflt;
}

int main(int argc, char **argv)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	seed = param("KCORE_STRESS_SEED", (uint64_t)ts.tv_sec ^ (uint64_t)ts.tv_nsec);
	nthreads = (unsigned)param("KCORE_STRESS_THREADS", nthreads);
	nops = (unsigned)param("KCORE_STRESS_OPS", nops);
	every = (unsigned)param("KCORE_STRESS_EVERY", every);
	for (int i = 1; i + 1 < argc; i += 2) {
		uint64_t v = strtoull(argv[i + 1], NULL, 0);
		if (!strcmp(argv[i], "--seed"))
			seed = v;
		else if (!strcmp(argv[i], "--threads"))
			nthreads = (unsigned)v;
		else if (!strcmp(argv[i], "--ops"))
			nops = (unsigned)v;
		else if (!strcmp(argv[i], "--every"))
			every = (unsigned)v;
		else {
			fprintf(stderr,
				"usage: %s [--seed S] [--threads N] [--ops M] [--every K]\n",
				argv[0]);
			return 2;
		}
	}
	if (nthreads < 1 || nthreads > MAX_THREADS || nops < 1 || every < 1) {
		fprintf(stderr, "test_stress: 1 <= threads <= %u, ops >= 1, every >= 1\n",
			MAX_THREADS);
		return 2;
	}
	printf("# stress: seed %" PRIu64 " (rerun: --seed %" PRIu64 " --threads %u --ops %u "
	       "--every %u)\n",
	       seed, seed, nthreads, nops, every);
	fflush(stdout);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stress),
	};
	return cmocka_run_group_tests_name("stress", tests, NULL, NULL);
}
