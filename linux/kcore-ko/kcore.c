// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
/*
 * kcore.ko — Linux as kcore's host (KServ): /dev/kcore, one VM per open
 * file, each ioctl one call of kcore's ABI (kcore_uapi.h, docs/LINUX.md).
 *
 * What the module adds to the ABI is only what Linux userspace must not
 * do itself: it owns every host frame a VM gets.  Image pages and the
 * manifest are copied from user buffers into pages it allocates; a vCPU's
 * stage-2 FAULT exit is backed here, with a 2 MiB compound page where kcore
 * accepts a block and a 4 KiB page otherwise.  Userspace never names or
 * learns a physical address.  Frames go back to the page allocator only
 * when the file is released and VM_RECLAIM gave every one of them back;
 * a frame kcore might still hold is leaked, never freed.
 *
 * It loads only under kcore: EL2 present, SMCCC 1.1, kcore's vendor
 * hypervisor UID and an ABI version it knows (kcore_probe).
 */
#include <asm/cpufeature.h>
#include <asm/neon.h>
#include <asm/sysreg.h>
#include <asm/virt.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/kernel_stat.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "kcore_uapi.h"

/* Image slots per VM: KC_MANIFEST_MAX_IMAGES (kcore/manifest.h, not kernel-clean). */
#define KCORE_MAX_IMAGES 8
#include <kcore/abi.h>

static bool test_hooks;
module_param(test_hooks, bool, 0444);
MODULE_PARM_DESC(test_hooks,
		 "TEST ONLY: mmap of /dev/kcore maps the caller's own VM frames (kcore_uapi.h)");

struct kcore_res {
	u64 x[4];
};

/*
 * One call into kcore: x0 = id, x1..x6 = arguments (unused ones zero, as
 * kcore requires), x0..x3 back.  SMCCC 1.1 keeps x4..x17 but the clobbers
 * cost little and assume nothing.
 */
static void kcore_hvc(u64 fn, u64 a1, u64 a2, u64 a3, u64 a4, struct kcore_res *r)
{
	register u64 x0 asm("x0") = fn;
	register u64 x1 asm("x1") = a1;
	register u64 x2 asm("x2") = a2;
	register u64 x3 asm("x3") = a3;
	register u64 x4 asm("x4") = a4;
	register u64 x5 asm("x5") = 0;
	register u64 x6 asm("x6") = 0;

	asm volatile("hvc #0"
		     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5), "+r"(x6)
		     :
		     : "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17",
		       "memory");
	r->x[0] = x0;
	r->x[1] = x1;
	r->x[2] = x2;
	r->x[3] = x3;
}

/* kcore's status as an errno, one each (kcore_uapi.h). */
static int kcore_errno(u64 x0)
{
	switch ((s64)x0) {
	case KC_OK:
		return 0;
	case KC_ENOTSUP:
		return -EOPNOTSUPP;
	case KC_EINVAL:
		return -EINVAL;
	case KC_EPERM:
		return -EPERM;
	case KC_ESTATE:
		return -EBADFD;
	case KC_ENOMEM:
		return -ENOMEM;
	case KC_EEXIST:
		return -EEXIST;
	case KC_ENOENT:
		return -ENOENT;
	case KC_EAUTH:
		return -EKEYREJECTED;
	case KC_EBUSY:
		return -EBUSY;
	default:
		return -EIO;
	}
}

static int kcore_call(u64 fn, u64 a1, u64 a2, u64 a3, u64 a4, u64 *r1)
{
	struct kcore_res r;

	kcore_hvc(fn, a1, a2, a3, a4, &r);
	if (r1)
		*r1 = r.x[1];
	return kcore_errno(r.x[0]);
}

/* A host frame (order 0) or 2 MiB run (order 9) the module gave a VM. */
struct kcore_frame {
	struct list_head link;
	struct page *page;
	unsigned int order;
	u64 ipa; /* where the VM has it (the test hook's KCORE_MMAP_GUEST) */
};

/* One open /dev/kcore: at most one VM. */
struct kcore_file {
	struct mutex lock; /* the VM's id and state, the frame list, the manifest */
	bool live;	   /* VM_CREATE done, VM_DESTROY not */
	bool all_back;	   /* VM_RECLAIM said no frame is left */
	u64 vm;
	struct list_head frames; /* in the order the VM got them */
	u64 nframes;
	struct page *manifest;		    /* the host's own: kcore copies it */
	u64 image_base[KCORE_MAX_IMAGES];   /* per VM_SET_IMAGE slot */
	u64 image_loaded[KCORE_MAX_IMAGES]; /* pages loaded into it */
	struct xarray small;		    /* 2 MiB regions (IPA >> 21) with a 4 KiB page */
};

static void kcore_frames_free(struct kcore_file *f)
{
	struct kcore_frame *fr, *n;

	list_for_each_entry_safe(fr, n, &f->frames, link)
	{
		list_del(&fr->link);
		__free_pages(fr->page, fr->order);
		kfree(fr);
	}
	f->nframes = 0;
}

static int kcore_frame_add(struct kcore_file *f, struct kcore_frame *fr)
{
	mutex_lock(&f->lock);
	list_add_tail(&fr->link, &f->frames);
	f->nframes++;
	f->all_back = false;
	mutex_unlock(&f->lock);
	return 0;
}

static int kcore_open(struct inode *inode, struct file *file)
{
	struct kcore_file *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	INIT_LIST_HEAD(&f->frames);
	xa_init(&f->small);
	file->private_data = f;
	return 0;
}

/* POWEROFF, RECLAIM until nothing is left, DESTROY; f->lock held. */
static void kcore_teardown(struct kcore_file *f)
{
	u64 left = 1;
	unsigned long i;
	int rc = 0;

	kcore_call(KC_HC_VM_POWEROFF, f->vm, 0, 0, 0, NULL); /* ESTATE: already off */
	for (i = 0; i < (1ul << 20) && left && !rc; i++) {
		rc = kcore_call(KC_HC_VM_RECLAIM, f->vm, 512, 0, 0, &left);
		if (rc == -EBUSY) { /* a vCPU still inside kcore: a moment */
			rc = 0;
			cond_resched();
		}
	}
	if (rc || left) {
		pr_err("kcore: VM %llu: VM_RECLAIM failed (%d, %llu left): its frames are leaked\n",
		       f->vm, rc, left);
		return;
	}
	f->all_back = true;
	rc = kcore_call(KC_HC_VM_DESTROY, f->vm, 0, 0, 0, NULL);
	if (rc)
		pr_err("kcore: VM %llu: VM_DESTROY failed (%d)\n", f->vm, rc);
	else
		f->live = false;
}

/* The last reference: no ioctl and no mapping of the test hook is left. */
static int kcore_release(struct inode *inode, struct file *file)
{
	struct kcore_file *f = file->private_data;

	mutex_lock(&f->lock);
	if (f->live)
		kcore_teardown(f);
	if (f->all_back || !f->nframes)
		kcore_frames_free(f);
	else
		pr_err("kcore: %llu frames kcore may still hold are leaked\n", f->nframes);
	if (f->manifest)
		__free_page(f->manifest);
	xa_destroy(&f->small);
	mutex_unlock(&f->lock);
	kfree(f);
	return 0;
}

static int kcore_vm_of(struct kcore_file *f, u64 *vm)
{
	int rc = 0;

	mutex_lock(&f->lock);
	if (f->live)
		*vm = f->vm;
	else
		rc = -ENOENT;
	mutex_unlock(&f->lock);
	return rc;
}

static long kcore_load_image_page(struct kcore_file *f, void __user *arg)
{
	struct kcore_image_page ip;
	struct kcore_frame *fr;
	u64 vm;
	int rc;

	if (copy_from_user(&ip, arg, sizeof(ip)))
		return -EFAULT;
	if (ip.index >= KCORE_MAX_IMAGES)
		return -EINVAL;
	rc = kcore_vm_of(f, &vm);
	if (rc)
		return rc;
	fr = kzalloc(sizeof(*fr), GFP_KERNEL);
	if (!fr)
		return -ENOMEM;
	fr->page = alloc_page(GFP_KERNEL);
	if (!fr->page) {
		kfree(fr);
		return -ENOMEM;
	}
	if (copy_from_user(page_address(fr->page), u64_to_user_ptr(ip.data), PAGE_SIZE)) {
		rc = -EFAULT;
	} else {
		/* Under the lock: kcore's order of the slot's pages is the list's. */
		mutex_lock(&f->lock);
		rc = kcore_call(KC_HC_VM_LOAD_IMAGE_PAGE, vm, ip.index, page_to_pfn(fr->page), 0,
				NULL);
		if (!rc) {
			fr->ipa = f->image_base[ip.index] +
				  (f->image_loaded[ip.index]++ << PAGE_SHIFT);
			list_add_tail(&fr->link, &f->frames);
			f->nframes++;
			f->all_back = false;
		}
		mutex_unlock(&f->lock);
	}
	if (rc) {
		__free_page(fr->page);
		kfree(fr);
	}
	return rc;
}

static long kcore_verify(struct kcore_file *f, void __user *arg)
{
	struct kcore_manifest m;
	int rc;

	if (copy_from_user(&m, arg, sizeof(m)))
		return -EFAULT;
	if (m.size > PAGE_SIZE)
		return -EINVAL;
	mutex_lock(&f->lock);
	if (!f->live) {
		rc = -ENOENT;
		goto out;
	}
	if (!f->manifest)
		f->manifest = alloc_page(GFP_KERNEL);
	if (!f->manifest) {
		rc = -ENOMEM;
		goto out;
	}
	clear_page(page_address(f->manifest));
	if (copy_from_user(page_address(f->manifest), u64_to_user_ptr(m.data), m.size)) {
		rc = -EFAULT;
		goto out;
	}
	rc = kcore_call(KC_HC_VM_VERIFY, f->vm, page_to_pfn(f->manifest), 0, 0, NULL);
out:
	mutex_unlock(&f->lock);
	return rc;
}

/*
 * Back a FAULT exit at `ipa`: a 2 MiB run if kcore takes a block there
 * (free RAM of the VM, 2 MiB aligned, no mapping in it yet), else a page.
 * The pages are zeroed: nothing of Linux reaches the guest.
 */
/*
 * Is a 2 MiB block worth trying for the region `ipa` lies in?  Not where a
 * loaded image lies, nor where a 4 KiB page was mapped already: kcore maps
 * a block only over nothing, and the attempt (2 MiB allocated and zeroed,
 * then refused) would cost every 4 KiB fault there.
 */
static bool kcore_block_worth(struct kcore_file *f, u64 ipa)
{
	u64 region = ipa >> 21;
	bool worth = !xa_load(&f->small, region);
	unsigned int i;

	mutex_lock(&f->lock);
	for (i = 0; i < KCORE_MAX_IMAGES && worth; i++) {
		u64 base = f->image_base[i], end = base + (f->image_loaded[i] << PAGE_SHIFT);

		if (end > base && base >> 21 <= region && (end - 1) >> 21 >= region)
			worth = false;
	}
	mutex_unlock(&f->lock);
	return worth;
}

static int kcore_back_fault(struct kcore_file *f, u64 vm, u32 vcpu, u64 ipa)
{
	const gfp_t gfp = GFP_KERNEL | __GFP_ZERO;
	struct kcore_frame *fr = kzalloc(sizeof(*fr), GFP_KERNEL);
	int rc;

	if (!fr)
		return -ENOMEM;
	fr->order = 9;
	fr->ipa = ipa & ~(u64)(SZ_2M - 1);
	fr->page = NULL;
	if (kcore_block_worth(f, ipa))
		fr->page = alloc_pages(gfp | __GFP_COMP | __GFP_NORETRY | __GFP_NOWARN, 9);
	if (fr->page) {
		/* A buddy block of order 9 is 2 MiB aligned, as kcore requires. */
		if (!kcore_call(KC_HC_VM_MAP_FAULT, vm, vcpu, page_to_pfn(fr->page), 2, NULL))
			return kcore_frame_add(f, fr);
		__free_pages(fr->page, 9);
	}
	fr->order = 0;
	fr->ipa = ipa & PAGE_MASK;
	fr->page = alloc_page(gfp);
	if (!fr->page) {
		kfree(fr);
		return -ENOMEM;
	}
	rc = kcore_call(KC_HC_VM_MAP_FAULT, vm, vcpu, page_to_pfn(fr->page), 3, NULL);
	if (rc) {
		pr_warn_ratelimited("kcore: VM %llu: VM_MAP_FAULT at IPA %#llx: %d\n", vm, ipa, rc);
		__free_page(fr->page);
		kfree(fr);
		return rc;
	}
	/* No block here from now on (a failure to note it only costs time). */
	xa_store(&f->small, ipa >> 21, xa_mk_value(1), GFP_KERNEL);
	return kcore_frame_add(f, fr);
}

/*
 * VCPU_RUN until an exit userspace must see.  The guest may clobber any
 * FP/SIMD/SVE register (a Z register's upper bits among them), so each run
 * sits inside kernel_neon_begin/end, which saves this task's FP state and
 * reloads it on the way back to userspace; it also keeps the thread on
 * this CPU for the run (kcore moves a vCPU between CPUs itself).
 */
static long kcore_run(struct kcore_file *f, void __user *arg)
{
	struct kcore_run r;
	struct kcore_res res;
	bool first = true;
	u64 vm;
	int rc;

	if (copy_from_user(&r, arg, sizeof(r)))
		return -EFAULT;
	if (r.pad)
		return -EINVAL;
	rc = kcore_vm_of(f, &vm);
	if (rc)
		return rc;
	for (;;) {
		unsigned int kind;

		if (signal_pending(current)) {
			if (first)
				return -EINTR;
			r.exit = KC_EXIT_YIELD;
			r.x2 = r.x3 = 0;
			break;
		}
		kernel_neon_begin();
		kcore_hvc(KC_HC_VCPU_RUN, vm, r.vcpu, first ? r.finish : KC_RUN_RESUME,
			  first ? r.value : 0, &res);
		kernel_neon_end();
		first = false;
		rc = kcore_errno(res.x[0]);
		if (rc)
			return rc;
		kind = KC_EXIT_KIND(res.x[1]);
		if (kind == KC_EXIT_FAULT) {
			rc = kcore_back_fault(f, vm, r.vcpu, res.x[2]);
			if (rc)
				return rc;
			continue;
		}
		if (kind == KC_EXIT_IRQ || kind == KC_EXIT_YIELD) {
			/*
			 * Linux took its interrupt as kcore returned (IRQs are
			 * not masked here), its softirqs at kernel_neon_end.
			 */
			cond_resched();
			continue;
		}
		r.exit = res.x[1];
		r.x2 = res.x[2];
		r.x3 = res.x[3];
		break;
	}
	if (copy_to_user(arg, &r, sizeof(r)))
		return -EFAULT;
	return 0;
}

/*
 * TEST HOOK (test_hooks=1): KCORE_TEST_FAULT_BENCH, ./ci/bench's
 * linux_vm_fault4k_instr (docs/BENCHMARKS.md "Linux").  Each round trip is
 * what kcore_run does for a FAULT exit, guest instruction to guest
 * instruction: kcore_back_fault (allocation, frame list, VM_MAP_FAULT at
 * EL2), then the next VCPU_RUN inside kernel_neon_begin/end, the guest's
 * retried load and its next first touch, kcore's FAULT exit back here.  The
 * ioctl's entry and exit are outside the count.  PMU event counter 0
 * counts INST_RETIRED at EL1 and (NSH) EL2, not EL0, as linux/bench-ko
 * does, counter 1 at EL2 alone (kcore's share); the guest runs at EL1, so its own three instructions per page are
 * counted too (ci/bench subtracts them).  Interrupts stay on (the
 * allocation may sleep, kernel_neon_begin needs them): a round during
 * which this CPU took one, or kcore returned anything but a FAULT, is
 * reported as such and the caller drops it.
 */
#define KCORE_BENCH_EVTYPE     0x48000008ul /* U (no EL0), NSH (EL2), INST_RETIRED */
#define KCORE_BENCH_EVTYPE_EL2 0xc8000008ul /* and P (no EL1): kcore's own share */
#define KCORE_BENCH_MAX	       512	    /* faults in all: the touch guest has 2 MiB */

static void kcore_bench_pmu(u64 *all, u64 *el2)
{
	asm volatile("isb\n\tmrs %0, pmevcntr0_el0\n\tmrs %1, pmevcntr1_el0"
		     : "=r"(*all), "=r"(*el2)
		     :
		     : "memory");
}

static int kcore_bench_resume(u64 vm, u32 vcpu, u64 finish, struct kcore_res *res)
{
	int rc;

	kernel_neon_begin();
	kcore_hvc(KC_HC_VCPU_RUN, vm, vcpu, finish, 0, res);
	kernel_neon_end();
	rc = kcore_errno(res->x[0]);
	if (rc)
		return rc;
	return KC_EXIT_KIND(res->x[1]) == KC_EXIT_FAULT ? 0 : 1;
}

static long kcore_fault_bench(struct kcore_file *f, void __user *arg)
{
	struct kcore_fault_bench b;
	u64 __user *out;
	struct kcore_res res;
	unsigned int cpu, i, k;
	u64 vm;
	int rc;

	if (copy_from_user(&b, arg, sizeof(b)))
		return -EFAULT;
	if (b.pad || !b.faults || !b.rounds || (u64)b.faults * b.rounds >= KCORE_BENCH_MAX)
		return -EINVAL;
	out = u64_to_user_ptr(b.out);
	rc = kcore_vm_of(f, &vm);
	if (rc)
		return rc;
	/* To the first fault, uncounted (interrupt exits just go on). */
	for (i = 0; (rc = kcore_bench_resume(vm, b.vcpu, KC_RUN_RESUME, &res)) == 1; i++)
		if (i > 1000 || KC_EXIT_KIND(res.x[1]) != KC_EXIT_IRQ)
			return -EPROTO;
	if (rc)
		return rc;
	asm volatile("msr pmevtyper0_el0, %0" : : "r"(KCORE_BENCH_EVTYPE));
	asm volatile("msr pmevtyper1_el0, %0" : : "r"(KCORE_BENCH_EVTYPE_EL2));
	asm volatile("msr pmcntenset_el0, %0" : : "r"(3ul));
	asm volatile("mrs x0, pmcr_el0\n\torr x0, x0, #1\n\tmsr pmcr_el0, x0\n\tisb" : : : "x0");
	for (i = 0; i < b.rounds; i++) {
		u64 other = 0, irqs, a, a2, z, z2;

		cpu = get_cpu();
		put_cpu();
		irqs = kstat_cpu_irqs_sum(cpu);
		kcore_bench_pmu(&a, &a2);
		for (k = 0; k < b.faults; k++) {
			rc = kcore_back_fault(f, vm, b.vcpu, res.x[2]);
			if (rc)
				return rc;
			/* An interrupt exit: on to the fault, the round marked. */
			while ((rc = kcore_bench_resume(vm, b.vcpu, KC_RUN_RESUME, &res)) == 1) {
				if (KC_EXIT_KIND(res.x[1]) != KC_EXIT_IRQ)
					return -EPROTO;
				other++;
			}
			if (rc)
				return rc;
		}
		kcore_bench_pmu(&z, &z2);
		/* Moved to another CPU: its interrupts were not watched. */
		if (raw_smp_processor_id() != cpu)
			other++;
		other += kstat_cpu_irqs_sum(cpu) - irqs;
		/* The counter is 32 bits wide without FEAT_PMUv3p5. */
		if (put_user((u32)(z - a), out + 3 * i) ||
		    put_user((u32)(z2 - a2), out + 3 * i + 1) || put_user(other, out + 3 * i + 2))
			return -EFAULT;
	}
	return 0;
}

static long kcore_ioctl(struct file *file, unsigned int cmd, unsigned long uarg)
{
	struct kcore_file *f = file->private_data;
	void __user *arg = (void __user *)uarg;
	u64 vm, r1 = 0;
	int rc;

	switch (cmd) {
	case KCORE_VERSION:
		rc = kcore_call(KC_HC_VERSION, 0, 0, 0, 0, &r1);
		return rc ? rc : put_user(r1, (u64 __user *)arg);
	case KCORE_VM_CREATE:
		mutex_lock(&f->lock);
		if (f->live || f->nframes)
			rc = -EEXIST; /* one VM per open file */
		else
			rc = kcore_call(KC_HC_VM_CREATE, 0, 0, 0, 0, &f->vm);
		if (!rc)
			f->live = true;
		vm = f->vm;
		mutex_unlock(&f->lock);
		return rc ? rc : put_user(vm, (u64 __user *)arg);
	case KCORE_VM_LOAD_IMAGE_PAGE:
		return kcore_load_image_page(f, arg);
	case KCORE_VM_VERIFY:
		return kcore_verify(f, arg);
	case KCORE_VCPU_RUN:
		return kcore_run(f, arg);
	}

	rc = kcore_vm_of(f, &vm);
	if (rc)
		return rc;
	switch (cmd) {
	case KCORE_VCPU_CREATE: {
		u32 vcpu;

		if (get_user(vcpu, (u32 __user *)arg))
			return -EFAULT;
		return kcore_call(KC_HC_VCPU_CREATE, vm, vcpu, 0, 0, NULL);
	}
	case KCORE_VM_SET_IMAGE: {
		struct kcore_image im;

		if (copy_from_user(&im, arg, sizeof(im)))
			return -EFAULT;
		rc = kcore_call(KC_HC_VM_SET_IMAGE, vm, im.guest_base, im.size, 0, &im.index);
		if (!rc && im.index < KCORE_MAX_IMAGES) {
			mutex_lock(&f->lock);
			f->image_base[im.index] = im.guest_base;
			f->image_loaded[im.index] = 0;
			mutex_unlock(&f->lock);
		}
		if (!rc && copy_to_user(arg, &im, sizeof(im)))
			return -EFAULT;
		return rc;
	}
	case KCORE_VCPU_INJECT_IRQ: {
		struct kcore_irq irq;

		if (copy_from_user(&irq, arg, sizeof(irq)))
			return -EFAULT;
		if (irq.pad)
			return -EINVAL;
		return kcore_call(KC_HC_VCPU_INJECT_IRQ, vm, irq.vcpu, irq.intid, irq.priority,
				  NULL);
	}
	case KCORE_VM_POWEROFF:
		return kcore_call(KC_HC_VM_POWEROFF, vm, 0, 0, 0, NULL);
	case KCORE_VM_RECLAIM: {
		struct kcore_reclaim rec;

		if (copy_from_user(&rec, arg, sizeof(rec)))
			return -EFAULT;
		rc = kcore_call(KC_HC_VM_RECLAIM, vm, rec.max, 0, 0, &rec.left);
		if (!rc && !rec.left) {
			mutex_lock(&f->lock);
			f->all_back = true; /* freed at release: a test mapping may remain */
			mutex_unlock(&f->lock);
		}
		if (!rc && copy_to_user(arg, &rec, sizeof(rec)))
			return -EFAULT;
		return rc;
	}
	case KCORE_VM_DESTROY:
		mutex_lock(&f->lock);
		rc = kcore_call(KC_HC_VM_DESTROY, vm, 0, 0, 0, NULL);
		if (!rc)
			f->live = false;
		mutex_unlock(&f->lock);
		return rc;
	case KCORE_TEST_FRAMES:
		if (!test_hooks)
			return -EPERM;
		mutex_lock(&f->lock);
		r1 = f->nframes;
		mutex_unlock(&f->lock);
		return put_user(r1, (u64 __user *)arg);
	case KCORE_TEST_FAULT_BENCH:
		if (!test_hooks)
			return -EPERM;
		return kcore_fault_bench(f, arg);
	}
	return -ENOTTY;
}

/*
 * TEST HOOKS (test_hooks=1 only, kcore_uapi.h).  Below KCORE_MMAP_GUEST:
 * one page read-only, page 0 = the manifest frame (the host's), page 1 + i
 * = the VM's i-th frame; a load from a VM's frame must abort (kcore's host
 * stage 2): the test sees SIGBUS, the manifest page is the control.  At
 * KCORE_MMAP_GUEST + IPA: the VM's page at that IPA, read-write, which
 * works while the guest shares it.  The frames stay allocated while a
 * mapping lives: they are freed only at release, which a mapping's file
 * reference holds off.
 */
static int kcore_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct kcore_file *f = file->private_data;
	const unsigned long guest = KCORE_MMAP_GUEST >> PAGE_SHIFT;
	struct kcore_frame *fr;
	unsigned long n = vma->vm_pgoff, pfn = 0;
	int rc;

	if (!test_hooks)
		return -EPERM;
	if (vma->vm_end - vma->vm_start != PAGE_SIZE || (vma->vm_flags & VM_EXEC) ||
	    (n < guest && (vma->vm_flags & VM_WRITE)))
		return -EINVAL;
	vma->vm_flags &= ~VM_MAYEXEC;
	if (n < guest)
		vma->vm_flags &= ~VM_MAYWRITE;
	mutex_lock(&f->lock);
	if (n >= guest) {
		u64 ipa = (u64)(n - guest) << PAGE_SHIFT;

		list_for_each_entry(fr, &f->frames, link)
		{
			if (ipa >= fr->ipa && ipa - fr->ipa < (PAGE_SIZE << fr->order)) {
				pfn = page_to_pfn(fr->page) + ((ipa - fr->ipa) >> PAGE_SHIFT);
				break;
			}
		}
	} else if (n == 0) {
		pfn = f->manifest ? page_to_pfn(f->manifest) : 0;
	} else {
		list_for_each_entry(fr, &f->frames, link)
		{
			if (--n == 0) {
				pfn = page_to_pfn(fr->page);
				break;
			}
		}
	}
	rc = pfn ? remap_pfn_range(vma, vma->vm_start, pfn, PAGE_SIZE, vma->vm_page_prot) : -ENOENT;
	mutex_unlock(&f->lock);
	return rc;
}

static const struct file_operations kcore_fops = {
	.owner = THIS_MODULE,
	.open = kcore_open,
	.release = kcore_release,
	.unlocked_ioctl = kcore_ioctl,
	.mmap = kcore_mmap,
	.llseek = noop_llseek,
};

static struct miscdevice kcore_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "kcore",
	.fops = &kcore_fops,
	.mode = 0600,
};

/*
 * Is this kcore?  An hvc with no EL2 is UNDEFINED, so first EL2 must exist
 * (ID_AA64PFR0_EL1.EL2) and Linux must not be running there itself (its
 * hvc would trap to Linux); then SMCCC 1.1, kcore's UID through the vendor
 * hypervisor service's CALL_UID, and an ABI whose major version is ours.
 */
static int kcore_probe(void)
{
	u64 pfr0 = read_sysreg_s(SYS_ID_AA64PFR0_EL1);
	struct kcore_res r;

	if (!((pfr0 >> 8) & 0xf)) {
		pr_info("kcore: no EL2: not under kcore\n");
		return -ENODEV;
	}
	if (is_kernel_in_hyp_mode()) {
		pr_info("kcore: Linux runs at EL2 itself: not under kcore\n");
		return -ENODEV;
	}
	kcore_hvc(KC_SMCCC_VERSION, 0, 0, 0, 0, &r);
	if ((s32)r.x[0] < (s32)KC_SMCCC_VERSION_1_1) {
		pr_info("kcore: no SMCCC 1.1 at EL2 (%#llx): not under kcore\n", r.x[0]);
		return -ENODEV;
	}
	kcore_hvc(KC_SMCCC_HYP_CALL_UID, 0, 0, 0, 0, &r);
	if ((u32)r.x[0] != KC_HYP_UID_0 || (u32)r.x[1] != KC_HYP_UID_1 ||
	    (u32)r.x[2] != KC_HYP_UID_2 || (u32)r.x[3] != KC_HYP_UID_3) {
		pr_info("kcore: the hypervisor's UID is not kcore's: not loading\n");
		return -ENODEV;
	}
	kcore_hvc(KC_HC_VERSION, 0, 0, 0, 0, &r);
	if (r.x[0] || (r.x[1] >> 16) != KC_ABI_VERSION_MAJOR ||
	    (r.x[1] & 0xffff) < KC_ABI_VERSION_MINOR) {
		pr_info("kcore: kcore ABI %#llx, this module needs %u.%u\n", r.x[1],
			KC_ABI_VERSION_MAJOR, KC_ABI_VERSION_MINOR);
		return -ENODEV;
	}
	pr_info("kcore: kcore ABI %llu.%llu found through SMCCC; /dev/kcore%s\n", r.x[1] >> 16,
		r.x[1] & 0xffff, test_hooks ? " (TEST HOOKS ON)" : "");
	return 0;
}

static int __init kcore_init(void)
{
	int rc = kcore_probe();

	return rc ? rc : misc_register(&kcore_dev);
}

static void __exit kcore_exit(void)
{
	misc_deregister(&kcore_dev);
}

module_init(kcore_init);
module_exit(kcore_exit);
MODULE_LICENSE("Dual BSD/GPL");
MODULE_DESCRIPTION("kcore: protected VMs from Linux userspace (/dev/kcore)");
