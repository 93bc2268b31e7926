// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
/*
 * kcore_bench.ko — the instructions one host hypercall costs, counted from
 * Linux at EL1 with the PMU (ci/linux-bench, docs/BENCHMARKS.md "Linux").
 *
 * Loaded with target=kcore it times kcore's null call (KC_HC_VERSION); with
 * target=pkvm, pKVM's cheapest host hypercall that still works after pKVM
 * finalises (__vgic_v3_read_vmcr, its id taken from this kernel's own
 * asm/kvm_asm.h).  The method is the stand-in host's
 * (tests/arm64/host/bench.c): PMU event counter 0 counts INST_RETIRED
 * (0x08) at EL1 and, with NSH, at EL2, not at EL0; N x {mov x0, id; hvc #0;
 * subs; b.ne} minus the same loop with a nop for the hvc, over N, is what
 * the hypervisor runs per call.  Under QEMU's -icount the count is exact;
 * interrupts are off around each loop so nothing else is counted.
 * Results go to the kernel log; the module then refuses to stay loaded
 * (it has nothing to offer after its init).
 *
 * With target=counter it stays loaded instead: counter 0 programmed the
 * same way and left running, a read() of /dev/kcore_bench_pmu gives its
 * value (8 bytes).  linux/kvm-fault, a VMM on KVM's ioctls, reads it around
 * KVM_RUN for pkvm_vm_fault4k_instr: EL0 cannot read the PMU across
 * KVM_RUN itself (nVHE KVM zeroes PMUSERENR_EL0 at every guest exit).
 */
#include <asm/kvm_asm.h>
#include <kcore/abi.h>
#include <linux/fs.h>
#include <linux/irqflags.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#define BENCH_EVTYPE_INST_EL1_EL2 0x48000008ul /* U (no EL0), NSH (EL2), INST_RETIRED */
#define BENCH_N			  1000
#define BENCH_ROUNDS		  5

static char *target = "kcore";
module_param(target, charp, 0444);
MODULE_PARM_DESC(target, "kcore (KC_HC_VERSION), pkvm (__vgic_v3_read_vmcr) or counter "
			 "(/dev/kcore_bench_pmu)");

static void bench_pmu_start(void)
{
	/* Counter 0 only: Linux's perf driver has no user of it in the bench's initramfs. */
	asm volatile("msr pmevtyper0_el0, %0" : : "r"(BENCH_EVTYPE_INST_EL1_EL2));
	asm volatile("msr pmcntenset_el0, %0" : : "r"(1ul));
	asm volatile("mrs x0, pmcr_el0\n\torr x0, x0, #1\n\tmsr pmcr_el0, x0\n\tisb" : : : "x0");
}

static u64 bench_pmu_read(void)
{
	u64 v;

	asm volatile("isb\n\tmrs %0, pmevcntr0_el0" : "=r"(v) : : "memory");
	return v;
}

/*
 * N x {mov x0, id; x1..x6 = 0; hvc #0 or nop; orr; subs; b.ne}: instructions
 * counted (32-bit difference: without FEAT_PMUv3p5 the event counter is 32
 * bits wide).  x1..x6 are zeroed in every round because kcore refuses a call
 * whose unused argument registers are not zero (KC_EINVAL), and a call
 * returns results there; every status is ORed into *status, so a refused
 * call shows.  SMCCC lets a call change x0-x17.
 */
#define BENCH_LOOP(insn)                                                                           \
	asm volatile("1:\tmov x0, %2\n\tmov x1, xzr\n\tmov x2, xzr\n\tmov x3, xzr\n\t"             \
		     "mov x4, xzr\n\tmov x5, xzr\n\tmov x6, xzr\n\t" insn "\n\t"                   \
		     "orr %1, %1, x0\n\tsubs %0, %0, #1\n\tb.ne 1b"                                \
		     : "+r"(n), "+r"(acc)                                                          \
		     : "r"(id)                                                                     \
		     : "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11",   \
		       "x12", "x13", "x14", "x15", "x16", "x17", "cc", "memory")

static u32 bench_loop(u64 id, bool with_hvc, u64 *status)
{
	register u64 n asm("x19") = BENCH_N;
	register u64 acc asm("x20") = 0;
	u64 a, b;

	a = bench_pmu_read();
	if (with_hvc)
		BENCH_LOOP("hvc #0");
	else
		BENCH_LOOP("nop");
	b = bench_pmu_read();
	if (with_hvc)
		*status |= acc;
	return (u32)(b - a);
}

static ssize_t bench_counter_read(struct file *file, char __user *buf, size_t len, loff_t *pos)
{
	u64 v = bench_pmu_read();

	if (len < sizeof(v))
		return -EINVAL;
	if (copy_to_user(buf, &v, sizeof(v)))
		return -EFAULT;
	return sizeof(v);
}

static const struct file_operations bench_counter_fops = {
	.owner = THIS_MODULE,
	.read = bench_counter_read,
	.llseek = noop_llseek,
};

static struct miscdevice bench_counter_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "kcore_bench_pmu",
	.fops = &bench_counter_fops,
	.mode = 0400,
};

static bool bench_counter;

static int __init bench_init(void)
{
	const char *name;
	u32 with[BENCH_ROUNDS], without[BENCH_ROUNDS], best = U32_MAX;
	unsigned long flags;
	u64 id, status = 0;
	int i;

	if (!strcmp(target, "counter")) {
		bench_pmu_start();
		bench_counter = true;
		pr_info("kcore-bench: PMU counter 0 (INST_RETIRED, EL1+EL2) at /dev/kcore_bench_pmu\n");
		return misc_register(&bench_counter_dev);
	}
	if (!strcmp(target, "kcore")) {
		id = KC_HC_VERSION;
		name = "linux_hostcall_instr";
	} else if (!strcmp(target, "pkvm")) {
		id = KVM_HOST_SMCCC_FUNC(__vgic_v3_read_vmcr);
		name = "pkvm_hostcall_instr";
	} else {
		pr_err("kcore-bench: target=%s: neither kcore nor pkvm\n", target);
		return -EINVAL;
	}

	preempt_disable();
	local_irq_save(flags);
	bench_pmu_start();
	for (i = 0; i < BENCH_ROUNDS; i++) {
		with[i] = bench_loop(id, true, &status);
		without[i] = bench_loop(id, false, &status);
	}
	local_irq_restore(flags);
	preempt_enable();

	/* SMCCC: x0 = 0 on success, for kcore's calls and pKVM's alike. */
	pr_info("kcore-bench: target %s, function id %#llx: statuses ORed %#llx\n", target, id,
		status);
	for (i = 0; i < BENCH_ROUNDS; i++) {
		u32 d = with[i] > without[i] ? with[i] - without[i] : 0;

		pr_info("kcore-bench: round %d: %u with hvc, %u with nop, %u per call\n", i,
			with[i], without[i], d / BENCH_N);
		if (d / BENCH_N < best)
			best = d / BENCH_N;
	}
	/* A zero count: no INST_RETIRED (QEMU without -icount), or the PMU is not ours. */
	if (status != 0 || without[0] == 0)
		pr_info("kcore-bench: %s unavailable\n", name);
	else
		pr_info("kcore-bench: %s %u\n", name, best);
	return -EAGAIN;
}

static void __exit bench_exit(void)
{
	if (bench_counter)
		misc_deregister(&bench_counter_dev);
}

module_init(bench_init);
module_exit(bench_exit);
MODULE_LICENSE("Dual BSD/GPL");
MODULE_DESCRIPTION("kcore: host hypercall instruction counts (kcore vs pKVM)");
