#!/usr/bin/env bash
# recipe.sh - the lvs-users mailing-list recipe that vipcheck replaces, reproduced
# faithfully for bench/run (not fixed: its quirks are part of what is measured).
#
#   recipe.sh icmp VIP RIP [NPING_OPTION...]
#   recipe.sh tcp  VIP RIP PORT [NPING_OPTION...]
#
# Exit 0 when the reply line was found. The recipe's quirks, kept on purpose:
#  - its grep pattern has an unescaped `[` ("ICMP [VIP > SRC Echo reply"), which
#    only works as a fixed string, hence grep -F;
#  - nping exits 0 whether or not a reply came, so only the grep decides;
#  - with --interface, nping ARPs for the VIP before sending (a frame that must
#    never leave a real director; inside bench/run's lab it is harmless).
# Only ever run inside the bench lab's director namespace, toward lab addresses.
kind=$1 vip=$2 rip=$3
shift 3
port=
if [[ $kind == tcp ]]; then
    port=$1
    shift
fi

# 1. The realserver's MAC from an ARP ping.
mac=$(nping --arp --count 1 "$@" "$rip" | awk -v rip="$rip" '$3 == "ARP" && $4 == "reply" && $5 == rip { print $8; exit }')
[[ -n $mac ]] || exit 1
# 2. Interface and source address from the kernel's route.
read -r ifname src < <(ip route get "$rip" | awk '{ for (i = 1; i < NF; i++) { if ($i == "dev") d = $(i + 1); if ($i == "src") s = $(i + 1) } print d, s; exit }')
# 3. A TTL-1 probe to the VIP, addressed to that MAC; grep for the answer.
if [[ $kind == icmp ]]; then
    nping --dest-mac "$mac" --ttl 1 --source-ip "$src" --dest-ip "$vip" --count 1 --interface "$ifname" --icmp "$@" |
        grep -F "ICMP [$vip > $src Echo reply" >/dev/null
else
    nping --dest-mac "$mac" --ttl 1 --source-ip "$src" --dest-ip "$vip" --count 1 --interface "$ifname" --tcp -p "$port" "$@" |
        grep -F "TCP $vip:$port > $src:" | grep -F " SA " >/dev/null
fi
