/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kpath: the control core's side of the kernel (exception) path.
 *
 * Owns: moving frames from the workers' exception rings to each port's TAP
 * twin, and from the TAP twins to the ports' inject rings (worker 0 sends
 * them). ARP frames are shown to neigh on the way up.
 *
 * Threading: control core only; it is the single consumer of every worker's
 * exception ring and the single producer of every inject ring.
 */
#ifndef VIPD_KPATH_H
#define VIPD_KPATH_H

/* Move what is waiting in both directions; returns the number of frames. */
unsigned kpath_poll(void);

#endif
