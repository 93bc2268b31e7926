/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The stand-in host's shared pieces: output and results (console.c), calls
 * into kcore (calls.c), aborts a test asks for (exceptions.c), and the
 * host-physical layout the tests agree on.  Each test_*.c is one area;
 * main.c runs them in order.
 */
#ifndef KCORE_TEST_HOST_H
#define KCORE_TEST_HOST_H

#include <kcore/abi.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the exception entry (start.S) saves: x0..x18, x29, x30. */
struct host_frame {
	uint64_t x[19];
	uint64_t x29, x30, pad;
};

/* x0..x6 of a host call, in and out. */
struct host_call {
	uint64_t x[7];
};

/* Entry points called from start.S and snapshot.S. */
void host_main(uint64_t dtb);
void host_secondary(uint64_t n);
void host_secondary_entry(void);
void host_el0_load(uint64_t addr);
void host_el0_back(void);
void host_exception(unsigned vector, struct host_frame *f);
void host_hvc_snapshot(struct host_call *c, uint64_t *snap);

/* ---- console.c: output and results ---- */
void putc_(char c);
void puts_(const char *s);
void puthex(uint64_t v);
void putdec(uint64_t v);
void result(const char *name, bool ok, const char *why);
void expect(const char *name, int64_t got, int64_t want);
extern unsigned passed, failed, ntest;

/* ---- calls.c: into kcore ---- */
void hvc(struct host_call *c);
int64_t call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5,
	     uint64_t a6, uint64_t *r1);
uint64_t smc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);
_Noreturn void power_off(void);

/* ---- exceptions.c: accesses that may abort ---- */
#define EC_DABT_CUR 0x25u
#define EC_IABT_CUR 0x21u

extern volatile unsigned abort_count;
extern volatile uint64_t abort_esr, abort_far, abort_elr, abort_spsr;
bool host_load(uint64_t addr, uint64_t *val, uint64_t *pc);
bool host_store(uint64_t addr, uint64_t val);
bool host_exec(uint64_t addr);
unsigned esr_ec(uint64_t esr);
void expect_abort(const char *what, uint64_t addr, unsigned ec, bool write);
/* An IRQ taken at EL1 goes here if set (true: handled). */
extern bool (*volatile host_irq_hook)(void);

/* ---- test_calls.c ---- */
void test_el1(void);
void test_dtb(const void *fdt);
void test_host_calls(void);
void test_smc(void);
void test_smccc_discovery(void);

/* kcore's memory, from the DTB's /reserved-memory kcore@... no-map nodes (test_dtb). */
struct host_range {
	uint64_t base, size;
};
extern struct host_range kc_ranges[4];
extern unsigned nkc_ranges;

/* ---- test_stage2.c ---- */
/* Host RAM nobody else owns (kcore sits at the top of RAM and at 0x40080000). */
#define HOST_PAGE_A 0x44000000ull
#define HOST_PAGE_B 0x44100000ull
void test_kcore_memory(void);
void test_vm_frame(void);

/* ---- test_guest.c ---- */
/*
 * Host frames the guest tests give away: the image, the manifest, a fault
 * backing (clear of the DTB, which QEMU puts at 0x48000000, and of the
 * other tests).
 */
#define VMG_IMAGE    0x4c000000ull
#define VMG_MANIFEST 0x4c001000ull
#define VMG_BACKING  0x4c002000ull
void host_fill_page(uint64_t pa, const uint8_t *src, size_t len);
uint64_t test_guest_hello(void);
void test_guest_vmid_reuse(uint64_t first);

/* ---- test_snapshot.c: export and import of the hello VM (docs/EXPORT.md) ---- */
void test_snapshot(void);

/* ---- test_hostile.c ---- */
void test_hostile(void);

/* ---- test_smp.c ---- */
#define HOST_MAX_CPUS 8
/* The CPUs the DTB lists (read_cpus), by index: the context id CPU_ON passes. */
extern uint64_t cpu_mpidr[HOST_MAX_CPUS];
extern unsigned ncpus;
/*
 * What secondary CPU n runs when CPU_ON starts it with context id n, if not
 * test_smp's calls; it then turns itself off (wait_off(n) sees it).
 */
extern void (*volatile host_cpu_job[HOST_MAX_CPUS])(unsigned n);
void read_cpus(const void *fdt);
bool wait_off(unsigned n);
uint64_t read_mpidr(void);
uint64_t now_ms(void);
void test_smp(const void *fdt);

/* ---- test_vm_smp.c ---- */
/* Host frames the life VM gets: image, manifest, a 4 KiB backing, a 2 MiB-aligned block. */
#define VMS_IMAGE    0x4d000000ull
#define VMS_MANIFEST 0x4d001000ull
#define VMS_PAGE     0x4d002000ull
#define VMS_BLOCK    0x4d200000ull
void test_vm_smp(void);

/* ---- test_irq.c ---- */
void test_irq(void);

/* ---- pci_edu.c: QEMU's edu DMA engine on the DTB's ECAM bridge ---- */
struct host_edu {
	uint64_t ecam; /* bus 0's configuration space */
	uint64_t bar0; /* where the host put the edu's registers */
	uint32_t sid;  /* its requester id = its SMMU stream id */
};
#define EDU_BUF 0x40000ull /* the edu's 4 KiB buffer, as a DMA address */
bool edu_find(const void *fdt, struct host_edu *e);
/* One DMA (RAM -> buffer, or buffer -> RAM with to_ram); false if it never ends. */
bool edu_dma(const struct host_edu *e, uint64_t src, uint64_t dst, uint64_t count, bool to_ram);

/* ---- test_smmu.c: host DMA through kcore's SMMU (needs -M ...,iommu=smmuv3 -device edu) ---- */
void test_smmu(const void *fdt);

/* ---- demo_dma.c: ci/demo's DMA part (bootarg kcore-host.dma-demo) ---- */
void run_dma_demo(const void *fdt);

/* ---- bench.c ---- */
void run_bench(void);

/* ---- demo.c: ci/demo's narrated VM life (bootarg kcore-host.demo) ---- */
void run_demo(void);

#endif
