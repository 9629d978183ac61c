/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C functions that zfacility_main.rs calls. Rust cannot read this header: the
 * `extern "C"` block in zfacility_main.rs repeats these prototypes and must be kept in sync.
 */
#ifndef ZFACILITY_SHIM_H
#define ZFACILITY_SHIM_H

#include <linux/types.h>

unsigned int zfacility_stfle(u64 *list, unsigned int doublewords);
void zfacility_kernel_facilities(u64 *list, unsigned int doublewords);
u64 zfacility_stidp(void);
/* STCKE stores 16 bytes: zfacility_stcke()'s @clock must have room for them. */
#define ZFACILITY_STCKE_BYTES 16
void zfacility_stcke(u8 *clock);
u64 zfacility_stckf(void);

#endif /* ZFACILITY_SHIM_H */
