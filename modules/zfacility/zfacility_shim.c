// SPDX-License-Identifier: GPL-2.0
/*
 * The C half of zfacility.
 *
 * The kernel wraps STFLE, STIDP and the store-clock instructions in static inline helpers in
 * arch/s390/include/asm/. A static inline function has no symbol, so Rust cannot call it; each
 * function here gives one helper a real symbol in this module. Rust never sees assembler.
 */

#include <linux/minmax.h>
#include <linux/string.h>
#include <asm/facility.h>
#include <asm/processor.h>
#include <asm/timex.h>

#include "zfacility_shim.h"

/*
 * Executes STFLE now into @list (@doublewords entries, zeroed beyond what the CPU stores).
 * Returns how many doublewords this CPU's facility list has.
 */
unsigned int zfacility_stfle(u64 *list, unsigned int doublewords)
{
	stfle(list, doublewords);	/* STFL + STFLE, preemption disabled */
	return stfle_size();		/* exported by arch/s390/kernel/facility.c */
}

/*
 * Copies the kernel's facility list: STFLE as done once at boot, then edited by the
 * "facilities=" kernel parameter. /proc/cpuinfo prints this list.
 */
void zfacility_kernel_facilities(u64 *list, unsigned int doublewords)
{
	size_t n = min_t(size_t, doublewords, ARRAY_SIZE(stfle_fac_list));

	memset(list, 0, doublewords * sizeof(u64));
	memcpy(list, stfle_fac_list, n * sizeof(u64));
}

/* STIDP: the CPU id doubleword (version, identification, machine type, format). */
u64 zfacility_stidp(void)
{
	struct cpuid id;
	u64 raw;

	get_cpu_id(&id);
	BUILD_BUG_ON(sizeof(id) != sizeof(raw));
	memcpy(&raw, &id, sizeof(raw));
	return raw;
}

/*
 * STCKE: the 16-byte extended TOD clock into @clock. Byte 0 is the epoch index, bytes 1-8 are
 * bits 0-63 of the clock (all that get_tod_clock() in asm/timex.h returns).
 */
void zfacility_stcke(u8 *clock)
{
	union tod_clock clk;

	BUILD_BUG_ON(sizeof(clk) != ZFACILITY_STCKE_BYTES);
	store_tod_clock_ext(&clk);
	memcpy(clock, &clk, sizeof(clk));
}

/*
 * The same through STCK FAST: cheaper, needs facility 25 (without it, an operation exception).
 * The Rust wrapper stckf() checks the facility with STFLE before it calls this.
 */
u64 zfacility_stckf(void)
{
	return get_tod_clock_fast();
}
