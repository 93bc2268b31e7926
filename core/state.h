/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore's state: the single source of truth (DESIGN.md §2).  Core-private.
 *
 * Everything lives in one object, `kc`, that kcore_init rebuilds from
 * scratch, so a fuzzer can start a fresh machine per input.  Locks are in
 * core/lock.h, with the lock order.  Which lock guards what:
 *
 *   frames_lock   kc.frames[], and the host's stage 2 (kc.host_s2,
 *                 kc.host_pool, kc.host_io_tables): the two always change
 *                 together, so one lock guards both
 *   core_lock     kc.coremap, kc.core_pool, kc.remap_*
 *   smmu_lock     kc.iodoms[] (state, owner, IO table and pool) and the
 *                 stream table kc.streams (core/iodom.c)
 *   vm->lock      the rest of *vm (state, vCPUs, images, s2, pool, counters)
 */
#ifndef KCORE_STATE_H
#define KCORE_STATE_H

#include <kcore/crypto.h>
#include <kcore/kcore.h>
#include <kcore/manifest.h>
#include <kcore/pgt.h>

#include "lock.h"
#include "touch.h"

/* ---- the frame table: 8 bytes per 4 KiB RAM frame ---------------------- */

/*
 *   bits  0..35  gfn: the guest frame a VM frame backs (IPA >> 12, < 2^36)
 *   bits 36..47  owner: OWNER_HOST, a VM id (1..KC_MAX_VMS) or OWNER_CORE
 *   bits 48..63  count: for a VM frame, how many times the VM shared it
 *                with the host (the host may map it while count > 0); for
 *                a host frame, how many leaves of the host's IO domains map
 *                it (its DMA mappings, core/iodom.c): a frame with a count
 *                is never given to a VM or to kcore
 * Device (IO) frames are not RAM and have no entry.
 */
typedef uint64_t frame_t;
_Static_assert(sizeof(frame_t) <= 8, "frame metadata must stay within 8 bytes per frame");

#define FRAME_GFN_MASK	  ((1ull << 36) - 1)
#define FRAME_OWNER_SHIFT 36
#define FRAME_OWNER_MASK  0xFFFull
#define FRAME_COUNT_SHIFT 48
#define FRAME_COUNT_MAX	  0xFFFFu
#define OWNER_HOST	  0u
#define OWNER_CORE	  0xFFFu
_Static_assert(KC_MAX_VMS < OWNER_CORE, "VM ids must not reach the CORE owner value");

static inline unsigned frame_owner(frame_t f)
{
	return (unsigned)((f >> FRAME_OWNER_SHIFT) & FRAME_OWNER_MASK);
}

static inline unsigned frame_count(frame_t f)
{
	return (unsigned)(f >> FRAME_COUNT_SHIFT);
}

static inline uint64_t frame_gfn(frame_t f)
{
	return f & FRAME_GFN_MASK;
}

static inline frame_t frame_make(unsigned owner, unsigned count, uint64_t gfn)
{
	return ((uint64_t)count << FRAME_COUNT_SHIFT) |
	       ((uint64_t)(owner & FRAME_OWNER_MASK) << FRAME_OWNER_SHIFT) | (gfn & FRAME_GFN_MASK);
}

/* ---- VMs ------------------------------------------------------------------ */

/*
 * EXPORTING: a paused VERIFIED VM whose export session is open (no vCPU
 * runs, nothing of it changes); IMPORTING: a new VM filling from records,
 * never runnable until its end token checks (core/export.c, core/import.c).
 */
enum vm_state { VM_FREE, VM_CREATED, VM_VERIFIED, VM_POWEROFF, VM_EXPORTING, VM_IMPORTING };
enum vcpu_state { VCPU_FREE, VCPU_READY, VCPU_RUNNING };

/*
 * Whether the guest has a vCPU running (PSCI's view): only vCPU 0 is on
 * after VM_VERIFY (at the signed entry); another is on only after the
 * guest's own CPU_ON said where it starts.  VCPU_RUN of an off vCPU is
 * KC_ESTATE.
 */
enum vcpu_power { VCPU_OFF, VCPU_ON };

/* kc_vm.last_vcpu_ran: no vCPU of the VM ran on that CPU yet. */
#define VCPU_NONE 0xffu
_Static_assert(KC_MAX_VCPUS < VCPU_NONE, "a vCPU index fits last_vcpu_ran");

/* What a vCPU's last exit left for the host to finish. */
enum vcpu_pending {
	PENDING_NONE,
	PENDING_FAULT, /* a translation fault on a page the guest did not guard: VM_MAP_FAULT */
	PENDING_MMIO,  /* a load/store to a guarded page: MMIO_DONE */
	PENDING_CALL,  /* a guest call kcore forwarded: CALL_DONE */
};

struct kc_vcpu {
	enum vcpu_state state;
	enum vcpu_power power;
	enum vcpu_pending pending;
	/*
	 * PENDING_FAULT / PENDING_MMIO: kcore's record of the trap, never named
	 * by the host.  fault_ipa is the page for a fault, the exact address for
	 * MMIO; fault_esr the syndrome MMIO_DONE completes from.
	 */
	uint64_t fault_ipa;
	uint64_t fault_esr;
	struct kc_vcpu_regs regs; /* the only copy of the guest's registers */
};

/*
 * A vCPU's state is read under vm->lock and written under it, except for
 * the store that ends a run (RUNNING -> READY, core/vcpu.c): the CPU that
 * ran the vCPU makes it without the lock, as a release, after its last
 * access to the vCPU.  Every read is an acquire, so whoever sees READY also
 * sees every register and record the run wrote (the registers pass from the
 * running CPU to the next holder without a lock round trip on every exit).
 * Only that CPU writes the state of a RUNNING vCPU, so a lock holder that
 * reads RUNNING and answers EBUSY is only ordered before the run's end.
 */
static inline enum vcpu_state vcpu_state(const struct kc_vcpu *v)
{
	return __atomic_load_n(&v->state, __ATOMIC_ACQUIRE);
}

static inline void vcpu_state_set(struct kc_vcpu *v, enum vcpu_state s)
{
	__atomic_store_n(&v->state, s, __ATOMIC_RELEASE);
}

/*
 * An export or import session, in the VM it concerns (docs/EXPORT.md).
 * `counter` is the number of the next record (1 for the first): it is
 * the nonce's second half and only ever grows within a session, and a
 * session's key is never used again once it ends or aborts.
 */
#define XFER_SALT_LEN 16
struct kc_xfer {
	uint32_t sid;
	uint8_t salt[XFER_SALT_LEN];
	uint8_t key[CRYPTO_AEAD_KEY_LEN];
	uint64_t counter;
	uint64_t next_gfn; /* page records come in strictly increasing gfn order */
	uint64_t pages;	   /* PAGE records so far */
	uint64_t guards;   /* GUARD records so far */
	uint32_t vcpus;	   /* mask of vCPUs recorded so far */
};

/* A boot image slot: guest range, and where its frames sit in the window. */
struct kc_image {
	uint64_t guest_base;
	uint64_t pages;
	uint64_t loaded;    /* pages loaded so far (window slots filled) */
	uint64_t reclaimed; /* of those, returned by VM_RECLAIM (never-verified VMs) */
	uint64_t window_va; /* first slot in the write-once remap window */
};

struct kc_vm {
	struct kc_lock lock;
	enum vm_state state;
	bool images_mapped; /* VM_VERIFY mapped the images into s2 */
	uint16_t id;
	unsigned nimages;
	uint64_t nframes;	 /* RAM frames this VM owns */
	uint64_t reclaim_cursor; /* IPA at which VM_RECLAIM goes on */
	struct pgt s2;
	struct pgt_pool pool;
	struct kc_vcpu vcpus[KC_MAX_VCPUS];
	/*
	 * Per CPU, the vCPU of this VM that ran there last (VCPU_NONE: none
	 * since VM_CREATE): a vCPU entering a CPU where another of its VM's
	 * vCPUs, or none, ran last needs that CPU's TLB flushed (core/vcpu.c).
	 */
	uint8_t last_vcpu_ran[KC_MAX_CPUS];
	struct kc_image images[KC_MANIFEST_MAX_IMAGES];
	/* The signed memory layout VM_VERIFY accepted (v1: empty); set with images_mapped. */
	struct kc_manifest_layout layout;
	struct kc_xfer xfer; /* EXPORTING, IMPORTING only; zero otherwise */
};

/* ---- IO domains (core/iodom.c, docs/SMMU.md) ------------------------------ */

enum iodom_state { IODOM_FREE, IODOM_LIVE };

/*
 * One IO domain: an IO page table (stage-2 format, 4 KiB leaves only, never
 * executable) in its own pool, and who owns it.  Its id is also its SMMU
 * tag (S2VMID): the IOTLB entries of its streams are dropped by that tag.
 */
struct kc_iodom {
	enum iodom_state state;
	uint16_t owner;	   /* OWNER_HOST, or the VM id whose frames it maps */
	uint32_t attached; /* streams whose kc.streams entry is this domain */
	uint64_t mapped;   /* leaves (4 KiB pages) its table holds */
	struct pgt pgt;	   /* vmid 0: pgt never invalidates a CPU TLB for it */
	struct pgt_pool pool;
};

/* ---- the machine ------------------------------------------------------- */

struct kc_ram {
	uint64_t base;
	uint64_t npages;
	uint64_t first; /* index of its first frame in kc.frames */
};

/*
 * The host's table pages for device (IO) mappings, at most: the host pool
 * holds these on top of what an identity map of all RAM needs, so the host
 * can always fault in its own RAM however it probes IO space.
 */
#define KC_HOST_IO_TABLES 64

/* The write-once remap window for boot images sits high in EL2's VA space. */
/* Events kcore holds for SMMU_EVENT (kc.smmu_evq), at most. */
#define KC_SMMU_EVQ	  64

#define KC_REMAP_BASE	  0x0000C00000000000ull

/* Ended export sessions waiting for their import, at most (EXPORT_END: KC_ENOMEM beyond). */
#define KC_XFER_READY	  8

struct kcore {
	bool up;
	/*
	 * How many of kcore's call numbers the host-call dispatcher takes: 0
	 * until kcore is up (every call is then KC_ESTATE), the table's size
	 * after.  One compare at the top of every host call does both checks.
	 */
	uint64_t hc_open;
	struct kc_config cfg;
	struct kc_boot_layout layout;
	struct kc_ram ram[KC_MAX_RAM_REGIONS];
	unsigned nram;
	uint64_t total_frames;
	uint64_t core_frames; /* CORE frames, fixed at init */

	struct kc_lock frames_lock;
	frame_t *frames;

	struct pgt_pool host_pool;
	struct pgt host_s2;
	uint64_t host_io_tables; /* host table pages first needed for IO mappings */

	struct kc_lock core_lock;
	struct pgt_pool core_pool;
	struct pgt coremap;
	uint64_t remap_next;   /* window pages handed to images (bump, never reused) */
	uint64_t remap_filled; /* window slots mapped so far */
	uint64_t remap_sum;    /* sum of remap_slot_hash over every slot ever mapped */

	/*
	 * Export (core/export.c): the root secret every session key derives
	 * from (plat_entropy at kcore_init; never leaves kcore), the next
	 * session id (never reused while kcore runs), and the sessions that
	 * ended and may be imported, each once.  core_lock guards `ready`.
	 */
	uint8_t xfer_root[CRYPTO_SHA256_LEN];
	uint32_t xfer_next_sid;
	struct kc_xfer_ready {
		uint32_t sid; /* 0: a free slot */
		uint8_t salt[XFER_SALT_LEN];
	} xfer_ready[KC_XFER_READY];

	kc_paddr_t vm_pools; /* max_vms runs of vm_pool_pages frames */

	struct kc_lock smmu_lock;
	kc_paddr_t iodom_pools; /* max_iodoms runs of iodom_pool_pages frames */
	uint64_t iova_limit;	/* 2^(least ia_bits of the SMMUs); 0: no SMMU calls */
	struct kc_iodom iodoms[KC_MAX_IODOMS + 1]; /* by id; [0] unused (no domain) */
	/* Which domain each stream translates through (0: none, it aborts). */
	uint8_t streams[KC_MAX_SMMUS][KC_SMMU_MAX_STREAMS];
	/*
	 * Events kcore took off the SMMUs itself, oldest first, for SMMU_EVENT
	 * to report before the SMMUs' own queues: a DETACH from a VM's domain
	 * drains the queues while the stream still names that domain, so the
	 * VM's DMA addresses are hidden for good (core/iodom.c).  Full: the
	 * oldest goes, counted in `lost`.
	 */
	struct kc_smmu_evq {
		struct kc_smmu_event ev[KC_SMMU_EVQ];
		unsigned head, n;
		uint64_t lost;
	} smmu_evq;

	struct kc_vm vms[KC_MAX_VMS + 1]; /* by id; [0] unused (the host) */
};

extern struct kcore kc;

/*
 * Every write to the frame table: the old value goes to the touch log when
 * recording is on (core/touch.h), so the incremental checker knows which
 * frames changed and keeps its per-owner counts by delta.
 */
static inline void frame_set(frame_t *f, frame_t v)
{
	if (touch_on())
		touch_frame_record(f);
	*f = v;
}

/* ---- frame table (core/frame.c) ---------------------------------------- */

/* The entry of RAM frame `pa`, or NULL if pa is not RAM.  frames_lock held. */
frame_t *frame_of_locked(kc_paddr_t pa);
/*
 * The entries of the n frames from `pa`, consecutive in the table, or NULL
 * if they are not all RAM of one region.  frames_lock held.  Inline: it is
 * on every fault-in.
 */
static inline frame_t *frame_run_locked(kc_paddr_t pa, uint64_t n)
{
	LOCK_ASSERT_HELD(&kc.frames_lock);
	for (unsigned i = 0; i < kc.nram; i++) {
		const struct kc_ram *r = &kc.ram[i];
		uint64_t idx = (pa - r->base) >> PGT_PAGE_SHIFT; /* wraps below base */
		if (idx < r->npages)
			return r->npages - idx >= n ? &kc.frames[r->first + idx] : NULL;
	}
	return NULL;
}
/* Read-only lookup for code that only inspects (checker, digest). */
const frame_t *frame_peek(kc_paddr_t pa);
/* Device space a host or VM may map: not RAM, not kcore's own devices. */
bool frame_is_io(kc_paddr_t pa);
/*
 * One of kcore's own devices that the layout shares with the host
 * (kc_boot_layout.devices_host_shared: the console): the host may map it
 * as a device, no VM may claim it (it is not IO).
 */
bool frame_is_host_shared_device(kc_paddr_t pa);
/* Zero n frames from pa (one region) before they change hands, out of the caches too. */
void frame_scrub(kc_paddr_t pa, uint64_t n);
/* The PA of frame index `i` (0 <= i < kc.total_frames). */
kc_paddr_t frame_pa(uint64_t i);

/* ---- the remap window (core/remap.c) ----------------------------------- */

/* A slot's contribution to kc.remap_sum (write-once evidence). */
uint64_t remap_slot_hash(uint64_t va, kc_paddr_t pa);

/* ---- IO domains (core/iodom.c) ------------------------------------------- */

/*
 * Whether VM `id` still owns an IO domain (VM_RECLAIM and VM_DESTROY wait
 * for IODOM_FREE).  vm->lock held, so no new domain can be allocated to it.
 */
bool iodom_vm_has_domains(uint16_t id);
/*
 * VM_MAP_IO: KC_EBUSY if a host IO domain maps a page of the n device pages
 * from `pa` (a VM may not hold a page alone that the host's DMA reaches).
 * smmu_lock held.
 */
int iodom_io_busy_locked(kc_paddr_t pa, uint64_t n);

/* ---- helpers shared by the call handlers ------------------------------- */

/* The VM `id` if 1 <= id <= cfg.max_vms, else NULL (no lock taken). */
static inline struct kc_vm *vm_get(uint64_t id)
{
	/* Before kcore_init max_vms is 0, so this is NULL then too. */
	return id - 1 < kc.cfg.max_vms ? &kc.vms[id] : NULL;
}

#endif /* KCORE_STATE_H */
