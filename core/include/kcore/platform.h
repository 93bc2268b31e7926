/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore/platform.h — THE seam between kcore's core and a platform.
 *
 * Everything core needs from the machine, and nothing more: only side
 * effects live here.  Logic (descriptor encoding, ownership, validation)
 * stays in core so that the hosted build runs exactly the code that runs at
 * EL2.  Each platform (platform/hosted, platform/arm64) implements every
 * function below; Meson picks one at link time, so there are no function
 * pointers and no #ifdef in core.
 *
 * Rules for implementers:
 *  - Nothing here may fail silently.  Functions that can fail say how.
 *  - The TLB functions order themselves: they make prior descriptor writes
 *    visible to the table walkers before invalidating, and they complete the
 *    invalidation before returning (on Armv8: DSB ISHST; TLBI ...IS; DSB ISH;
 *    ISB).  Core therefore needs no extra barrier around them.
 */
#ifndef KCORE_PLATFORM_H
#define KCORE_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A physical address.  Plain integer: core never dereferences one directly. */
typedef uint64_t kc_paddr_t;

/* ---- physical memory ------------------------------------------------- */

/*
 * The address at which core reads and writes physical address `pa`.  Only
 * called for RAM frames the platform declared at boot (core checks ranges
 * first); a platform may fail-stop on anything else.
 */
void *plat_phys_to_virt(kc_paddr_t pa);

/* ---- TLB maintenance (inner shareable: every CPU) --------------------- */

/* Drop every EL2 stage-1 translation of virtual address `va`. */
void plat_tlbi_el2_va(uint64_t va);

/* Drop every EL2 stage-1 translation. */
void plat_tlbi_el2_all(void);

/*
 * Drop the stage-2 translation of `ipa` tagged `vmid` (whatever the size of
 * the leaf that maps it), and every combined stage-1+2 entry of that VMID,
 * since those may cache the old output address.
 */
void plat_tlbi_s2_ipa(uint16_t vmid, uint64_t ipa);

/*
 * plat_tlbi_s2_ipa for every page of [ipa, ipa+size), as one step (Armv8.4
 * TLBI RIPAS2E1IS where the CPU has it, else a loop of IPAS2E1IS with one
 * DSB and one VMALLE1IS at the end).
 */
void plat_tlbi_s2_range(uint16_t vmid, uint64_t ipa, uint64_t size);

/* Drop every stage-1 and stage-2 translation tagged `vmid`. */
void plat_tlbi_s2_vmid(uint16_t vmid);

/* ---- caches and barriers --------------------------------------------- */

/*
 * Clean and invalidate [va, va+len) to the point of coherency.  `va` is an
 * address plat_phys_to_virt gave.  Core calls it for every frame that
 * changes hands where the next user may read memory with its caches off
 * (docs/ARCHITECTURE.md, "Cache maintenance"): a frame entering a VM (image
 * page, fault backing) or leaving the host's reach again (UNSHARE to 0),
 * after the host's mapping is gone and invalidated, so no line the host
 * dirtied survives it; and a frame scrubbed on its way back to the host.
 */
void plat_dcache_clean_inval_poc(const void *va, size_t len);

/*
 * Invalidate every instruction cache of every CPU to the point of
 * unification (Armv8: IC IALLUIS; DSB ISH; ISB).  Core calls it where a
 * VM is to execute contents kcore vouches for: once per VM_VERIFY, after
 * the image pages were cleaned (at VM_LOAD_IMAGE_PAGE) and before the VM
 * can run, so no instruction fetched from a frame's earlier life (the
 * host's code) runs in place of the signed image.  Not for fault backing:
 * its contents are the host's to choose anyway, and code a guest writes
 * there needs the guest's own IC IVAU, as any code it writes
 * (docs/ARCHITECTURE.md, "Cache maintenance").  Whole-cache rather than by
 * address: right for every I-cache type (PIPT, VIPT, VMID-tagged) without
 * an EL2 mapping of the frames.  A CPU whose I-cache is coherent with data
 * (CTR_EL0.DIC) may make it a no-op.
 */
void plat_icache_inval_all(void);

/* Descriptor writes so far are visible to table walkers (Armv8: DSB ISHST). */
void plat_barrier_tables(void);

/* Full barrier: memory and context synchronisation (Armv8: DSB ISH; ISB). */
void plat_barrier_full(void);

/* ---- this CPU --------------------------------------------------------- */

/* Dense index of the calling CPU, 0 <= id < the CPU count given at boot. */
unsigned plat_cpu_id(void);
/*
 * One round of a lock's busy-wait (core/lock.h): a hint that this CPU only
 * waits for another (arm64: YIELD).  The hosted model's CPUs are threads
 * that may outnumber the cores: it gives the core away, so the holder runs.
 */
void plat_spin_wait(void);

/* ---- entropy ---------------------------------------------------------- */

/*
 * Fill `buf` with `len` bytes from the platform's entropy source.  Returns
 * false, with `buf` unspecified, when the source fails; callers must treat
 * that as an error, never use a partial result.
 */
bool plat_entropy(void *buf, size_t len);

/* ---- console ---------------------------------------------------------- */

/* Write `len` bytes to the console; '\n' is passed as is. */
void plat_console_write(const char *s, size_t len);

/* ---- fail-stop -------------------------------------------------------- */

/*
 * kcore found itself inconsistent: stop this machine for good.  Never
 * reachable from host or guest input (each caller says why).
 */
_Noreturn void plat_panic(const char *why);

/* ---- the world switch ------------------------------------------------ */

/*
 * The EL1 system registers a guest owns: the world switch saves and
 * restores each of them (arm64), the hosted model keeps them.  Indexes
 * into kc_vcpu_regs.sys[].
 */
enum kc_sysreg {
	KC_SYS_SCTLR_EL1,
	KC_SYS_ACTLR_EL1,
	KC_SYS_CPACR_EL1,
	KC_SYS_TTBR0_EL1,
	KC_SYS_TTBR1_EL1,
	KC_SYS_TCR_EL1,
	KC_SYS_MAIR_EL1,
	KC_SYS_AMAIR_EL1,
	KC_SYS_VBAR_EL1,
	KC_SYS_CONTEXTIDR_EL1,
	KC_SYS_TPIDR_EL0,
	KC_SYS_TPIDRRO_EL0,
	KC_SYS_TPIDR_EL1,
	KC_SYS_ESR_EL1,
	KC_SYS_FAR_EL1,
	KC_SYS_AFSR0_EL1,
	KC_SYS_AFSR1_EL1,
	KC_SYS_PAR_EL1,
	KC_SYS_ELR_EL1,
	KC_SYS_SPSR_EL1,
	KC_SYS_CNTKCTL_EL1,
	KC_SYS_CSSELR_EL1,
	KC_SYS_MDSCR_EL1,
	KC_SYS_COUNT
};

/*
 * A vCPU's virtual GICv3 CPU interface (docs/VCPU.md, "Interrupts"):
 * guest state like any register, kept here and never shown to the host.
 * lr[] is the pending set: images of ICH_LR<n>_EL2 that core fills
 * (core/virq.c) and the platform loads into the list registers on entry
 * and stores back on exit, so an interrupt the guest has not taken yet
 * survives the exit and one it has EOId comes back with state 0 (a free
 * slot).  A platform with fewer list registers uses the first ones only.
 * vmcr and the active-priority registers are the guest's PMR, BPR and
 * group enables and its nesting of active priorities.  timer_irq: the
 * virtual timer fired and its PPI is waiting for a free slot.
 */
#define KC_VGIC_LRS 4
struct kc_vgic {
	uint64_t lr[KC_VGIC_LRS];  /* ICH_LR<n>_EL2 */
	uint64_t vmcr;		   /* ICH_VMCR_EL2 */
	uint64_t ap0r[4], ap1r[4]; /* ICH_AP0R<n>_EL2, ICH_AP1R<n>_EL2 */
	uint64_t timer_irq;
};

/*
 * A vCPU's register state, kept in kcore memory only (the shadow context):
 * never copied from the host, zeroed when the vCPU is created, reset from
 * a fixed template when it is (re)started, scrubbed with its VM.
 */
struct kc_vcpu_regs {
	uint64_t x[31]; /* x0..x30 */
	uint64_t sp_el0;
	uint64_t sp_el1;
	uint64_t pc;	 /* ELR_EL2 while trapped */
	uint64_t pstate; /* SPSR_EL2 while trapped */
	uint64_t sys[KC_SYS_COUNT];
	uint64_t v[32][2]; /* V0..V31: [0] bits 63:0, [1] bits 127:64 */
	uint64_t fpsr, fpcr;
	uint64_t cntv_ctl, cntv_cval; /* the virtual timer (CNTVOFF is kcore's, never the host's) */
	struct kc_vgic vgic;
	/*
	 * A virtual SError is pending (Armv8 HCR_EL2.VSE): core sets it when a
	 * physical SError interrupted the guest (docs/VCPU.md); the guest takes
	 * it once PSTATE.A lets it, and the world switch keeps what is left.
	 */
	uint64_t vserror;
};

/* What the guest runs on: its VMID and stage-2 root (VTTBR_EL2). */
struct kc_guest {
	uint16_t vmid;
	uint16_t vcpu;
	kc_paddr_t s2_root;
};

/* Which exception brought the guest to EL2 (the vector it came through). */
enum kc_trap_kind { KC_TRAP_SYNC, KC_TRAP_IRQ, KC_TRAP_FIQ, KC_TRAP_SERROR };

/* Why the guest stopped, as the hardware reports it to EL2. */
struct kc_trap {
	uint64_t kind; /* enum kc_trap_kind; the registers below only for SYNC, SERROR */
	uint64_t esr;  /* ESR_EL2 */
	uint64_t far;  /* FAR_EL2 */
	/*
	 * HPFAR_EL2 — which the hardware makes valid only for a stage-2
	 * translation or access-flag fault, or one on the guest's stage-1
	 * walk (S1PTW).  For any other data or instruction abort the
	 * platform puts here, in HPFAR's format, the IPA of FAR_EL2 as the
	 * guest's stage 1 translates it (AT S1E1R while that stage 1 is still
	 * loaded, as KVM does for erratum 834220); if that translation fails
	 * (the guest changed its tables meanwhile), `spurious` instead.
	 */
	uint64_t hpfar;
	/*
	 * Nothing to report: the guest just runs again and retries the access.
	 * core zeroes the whole trap before each plat_guest_run.
	 */
	bool spurious;
};

/*
 * Run vCPU `g` from `regs` until it traps to EL2, then store its registers
 * back into `regs` and the syndrome into `trap`.  The platform decodes
 * nothing: core reads the syndrome (core/trap.c), so both targets share
 * one interpretation of it.  Guest accesses go through the stage 2 at
 * g->s2_root, tagged g->vmid.
 */
void plat_guest_run(const struct kc_guest *g, struct kc_vcpu_regs *regs, struct kc_trap *trap);

/*
 * Drop, on this CPU only, every TLB entry of g->vmid's EL1&0 regime (stage
 * 1 and combined stage 1+2) and this CPU's instruction cache (Armv8, with
 * VTTBR_EL2 holding g's VMID: TLBI VMALLE1; IC IALLU; DSB NSH; ISB).  Core
 * calls it before vCPU g runs on a CPU where another vCPU of the same VM,
 * or none since VM_CREATE, ran last (core/vcpu.c says why), never otherwise.
 */
void plat_guest_flush_local(const struct kc_guest *g);

/* ---- the SMMUs (docs/SMMU.md) ------------------------------------------ */
/*
 * Core owns every IO page table (the stage-2 format pgt writes, in CORE
 * frames) and decides which stream translates through which; the platform
 * only programs the SMMUs of kc_boot_layout.smmus[] (arm64: SMMUv3, stage 2
 * only, linear stream table and queues in CORE frames, GBPA = abort).
 * Every function here completes before it returns (SMMUv3: the commands,
 * then CMD_SYNC, then waiting for its completion), and orders itself after
 * core's earlier descriptor writes, so that when it returns no transaction
 * can still use what it removed.
 */
/*
 * Stream `sid` of SMMU `smmu` now translates through the stage-2 table at
 * `root`, its IOTLB entries tagged `tag` (an SMMU VMID, 1..KC_MAX_IODOMS),
 * or, with root == 0, aborts every transaction (the state every stream is
 * in before the host runs).  Invalidates the SMMU's cached configuration
 * of the stream; on root == 0 also every IOTLB entry tagged with the tag
 * the stream had.
 */
void plat_smmu_stream_set(unsigned smmu, uint32_t sid, uint16_t tag, kc_paddr_t root);
/* Drop every IOTLB entry tagged `tag` in [iova, iova + size), on every SMMU. */
void plat_smmu_tlbi_range(uint16_t tag, uint64_t iova, uint64_t size);
/* Drop every IOTLB entry tagged `tag`, on every SMMU. */
void plat_smmu_tlbi_tag(uint16_t tag);
/* A transaction an SMMU stopped (SMMUv3: an event queue record). */
enum kc_smmu_fault {
	KC_SMMU_F_TRANSLATION = 1, /* no mapping for the IOVA */
	KC_SMMU_F_PERMISSION,	   /* mapped without the access's permission */
	KC_SMMU_F_STREAM,	   /* the stream is not attached (aborts) */
	KC_SMMU_F_OTHER,	   /* any other event the SMMU reports */
};
struct kc_smmu_event {
	unsigned smmu;
	uint32_t sid;
	uint32_t fault; /* enum kc_smmu_fault */
	bool write;
	uint64_t iova;
};
/*
 * Take the oldest event not yet taken from any SMMU into `ev`; false if
 * there is none.  Core decides what of it the host may see.
 */
bool plat_smmu_event_next(struct kc_smmu_event *ev);

#endif /* KCORE_PLATFORM_H */
