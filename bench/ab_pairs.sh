#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench/ab_bench.sh over several pairs of fresh processes, both ways round.
#
# On a guest whose hugepages are the host's small pages, each process gets
# its own cache-set conflicts and keeps its rate for its whole life: the same
# two binaries gave B/A 1.2365 in one ab_bench.sh run and 1.0405 in the next
# (docs/PERFORMANCE.md, eleventh round). One run is one draw of that spread.
#
# The spread is not random from one draw to the next: the process started
# second wins in one draw and the one started first in the next (by 7-11 %
# on 2026-12-04: a binary against a copy of itself gave 1.07, 1.10, 1.075,
# 1.07 with the roles swapped every draw; twelfth round). Swapping the roles
# every draw (A first, B first, A first, ...) is in phase with that, and
# hands B the winning role every time. So the order runs A B B A, A B B A,
# ...: B is first in half the draws where the first wins and in half where
# the second does. Prints each draw's B/A and their geometric mean (over a
# multiple of 4 draws the swing cancels; the median of a two-valued series
# does not), median, range and how many are above 1.
#
# usage: bench/ab_pairs.sh A B PAIRS [ab_bench.sh options...]
#   e.g. bench/ab_pairs.sh /tmp/old/vipd build/vipd 8 --mode nat --replies \
#          --interleave --rounds 4 --seconds 2
set -u

BENCH=$(cd "$(dirname "$0")" && pwd)
die() { echo "ab_pairs: $*" >&2; exit 1; }

[ $# -ge 3 ] || { sed -n '3,16p' "$0"; exit 2; }
A=$1 B=$2 PAIRS=$3
shift 3
[[ $PAIRS =~ ^[1-9][0-9]*$ ]] || die "PAIRS must be a positive number"
((PAIRS % 4 == 0)) || echo "ab_pairs: $PAIRS draws is no multiple of 4: the roles' swing may not cancel" >&2

draws=()
for ((k = 1; k <= PAIRS; k++)); do
	afirst=$((k % 4 < 2)) # draws 1 2 3 4: A B B A
	if ((afirst)); then first=$A second=$B; else first=$B second=$A; fi
	out=$(bash "$BENCH/ab_bench.sh" "$first" "$second" "$@" 2>&1) ||
		{ echo "$out" | tail -5 >&2; die "ab_bench.sh failed (draw $k)"; }
	med=$(echo "$out" | sed -n 's/^B\/A: .*; median \([0-9.]*\)$/\1/p' | tail -1)
	[ -n "$med" ] || { echo "$out" | tail -5 >&2; die "no median in ab_bench.sh's output (draw $k)"; }
	# Always B over A: a draw with B first measured A over B.
	r=$(awk -v m="$med" -v a="$afirst" 'BEGIN { printf "%.4f", a ? m : 1 / m }')
	draws+=("$r")
	echo "draw $k ($( ((afirst)) && echo "A then B" || echo "B then A")): B/A $r"
done
printf '%s\n' "${draws[@]}" | sort -g | awk '
	{ v[NR] = $1; lg += log($1); if ($1 > 1) up++ }
	END {
		med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "B/A over %d draws: geometric mean %.4f, median %.4f, range %.4f-%.4f, %d of %d above 1\n",
		       NR, exp(lg / NR), med, v[1], v[NR], up, NR
	}'
