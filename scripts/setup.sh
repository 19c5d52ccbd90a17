#!/usr/bin/env bash
# vipd set-up, idempotent: installs the missing Debian packages (build + lab),
# reserves hugepages (tolerating failure), configures and builds build/.
#   sudo bash scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "setup: $*"; }

if [ "$(id -u)" -ne 0 ]; then
    echo "setup: must run as root (sudo bash scripts/setup.sh)" >&2
    exit 1
fi

BUILD_PKGS=(libdpdk-dev dpdk dpdk-dev meson ninja-build pkg-config gcc libc6-dev
            libconfig-dev libevent-dev libjansson-dev libcmocka-dev libssl-dev libpcap-dev)
LAB_PKGS=(nginx-light keepalived python3 python3-scapy python3-pytest python3-aiosmtpd
          ethtool tcpdump iputils-ping curl iproute2 procps kmod)
OPTIONAL_PKGS=(wrk)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

missing=()
for p in "${BUILD_PKGS[@]}" "${LAB_PKGS[@]}"; do installed "$p" || missing+=("$p"); done
opt_missing=()
for p in "${OPTIONAL_PKGS[@]}"; do installed "$p" || opt_missing+=("$p"); done

if [ ${#missing[@]} -gt 0 ] || [ ${#opt_missing[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    # keep package scripts from starting nginx/keepalived services on this machine
    made_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        made_policy=1
    fi
    cleanup_policy() { if [ "$made_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi; }
    trap cleanup_policy EXIT
    say "apt-get update (missing: ${missing[*]} ${opt_missing[*]})"
    apt-get update -qq
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing ${missing[*]}"
        apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
    fi
    for p in "${opt_missing[@]}"; do
        if apt-get install -y -qq --no-install-recommends "$p" </dev/null >/dev/null 2>&1; then
            say "installed optional $p"
        else
            say "optional package $p not available (skipped)"
        fi
    done
    cleanup_policy
    trap - EXIT
else
    say "all packages present"
fi

# Hugepages: 512 x 2 MB.  The lab falls back to --no-huge when they are missing.
want=512
if [ -w /proc/sys/vm/nr_hugepages ]; then
    cur=$(cat /proc/sys/vm/nr_hugepages)
    if [ "$cur" -lt "$want" ]; then
        echo "$want" > /proc/sys/vm/nr_hugepages 2>/dev/null || true
    fi
    got=$(cat /proc/sys/vm/nr_hugepages)
    if [ "$got" -lt "$want" ]; then
        say "warning: only $got hugepages reserved (wanted $want); vipd will run with --no-huge"
    else
        say "hugepages: $got x $(awk '/Hugepagesize/ {print $2 $3}' /proc/meminfo)"
    fi
else
    say "warning: cannot reserve hugepages here; vipd will run with --no-huge"
fi
if ! awk '$2 == "/dev/hugepages" && $3 == "hugetlbfs" {f=1} END {exit !f}' /proc/mounts; then
    if mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null; then
        say "mounted hugetlbfs on /dev/hugepages"
    else
        say "warning: could not mount hugetlbfs on /dev/hugepages (not needed with --in-memory/--no-huge)"
    fi
fi

# Build
if [ -f build/meson-private/coredata.dat ]; then
    meson setup --reconfigure build >/dev/null || { say "reconfigure failed: wiping build/"; meson setup --wipe build; }
else
    meson setup build
fi
ninja -C build
say "built: $(ls build/vipd build/vipctl 2>/dev/null | tr '\n' ' ')"
