#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# lab.sh - network-namespace lab for vipcheck's end-to-end tests and demo.
#
#   tests/lab/lab.sh up   STATE_DIR    build the standard lab, write STATE_DIR/env
#   tests/lab/lab.sh down STATE_DIR    remove exactly what STATE_DIR/state lists
#
# or `source tests/lab/lab.sh` and call the lab_* functions yourself (see
# lab_up for the pattern).  Sourcing changes no shell options: every function
# checks its own commands and returns non-zero on failure, because `set -e` is
# silently disabled inside functions called from `if`, `||` or `&&`.
#
# Topology (every host has eth0 plugged into one Linux bridge in a switch
# namespace; nothing touches the initial network namespace):
#
#   director  192.0.2.2   VIP on lo, ARP-hidden (probes come from here)
#   healthy   192.0.2.11  VIP on lo, arp_ignore=1/arp_announce=2
#   novip     192.0.2.12  no VIP, no forwarding -> silently drops VIP traffic
#   dropped   192.0.2.13  like healthy, but nftables drops everything to the VIP
#   forward   192.0.2.14  no VIP, ip_forward=1, default via director
#                         -> a TTL-1 packet to the VIP earns ICMP time-exceeded
#   (absent)  192.0.2.99  held by nobody -> does not resolve at L2
#
# The IPv6 plane repeats every case on the same hosts: director 2001:db8::2,
# realservers 2001:db8::11..14 and ::99 (absent), VIP 2001:db8:100::10.
#
# Safety: namespace names carry a per-lab prefix (vcl<pid>-) so labs can run
# side by side.  STATE_DIR/state records each namespace right after it was
# created, with its nsfs inode; `down` refuses names without the lab's prefix
# and namespaces whose inode changed (i.e. somebody else's namespace that
# happens to carry the name).  Only TEST-NET addresses are ever configured.

# Addresses of the standard lab.  Plain assignments (not readonly) so the file
# can be sourced more than once.
LAB_DEF_VIP=198.51.100.10
LAB_DEF_DIRECTOR_IP=192.0.2.2
LAB_DEF_RS_HEALTHY=192.0.2.11
LAB_DEF_RS_NOVIP=192.0.2.12
LAB_DEF_RS_DROPPED=192.0.2.13
LAB_DEF_RS_FORWARD=192.0.2.14
LAB_DEF_RS_ABSENT=192.0.2.99
# The IPv6 plane: the same hosts and cases in 2001:db8::/64, the VIP in another /64.
LAB_DEF_VIP6=2001:db8:100::10
LAB_DEF_DIRECTOR_IP6=2001:db8::2
LAB_DEF_RS6_HEALTHY=2001:db8::11
LAB_DEF_RS6_NOVIP=2001:db8::12
LAB_DEF_RS6_DROPPED=2001:db8::13
LAB_DEF_RS6_FORWARD=2001:db8::14
LAB_DEF_RS6_ABSENT=2001:db8::99

# ---------------------------------------------------------------------------
# small helpers

_lab_err() { printf 'lab: %s\n' "$*" >&2; }

# Run a command; on failure say which one, so a broken `up` is easy to debug.
_lab_x() {
    "$@" && return 0
    local rc=$?
    _lab_err "command failed (rc=$rc): $*"
    return "$rc"
}

# Namespace names, interface names and env keys end up in file names, nft
# rules and `source`d files: keep them to a boring character set.
_lab_valid_name() { [[ $1 =~ ^[a-z][a-z0-9-]{0,11}$ ]]; }

_lab_need_init() {
    [[ -n ${LAB_STATE_DIR:-} && -n ${LAB_PREFIX:-} ]] && return 0
    _lab_err "no lab initialised (call lab_init STATE_DIR first)"
    return 1
}

# Full namespace name of a lab host.
lab_ns() { printf '%s%s\n' "${LAB_PREFIX:?lab not initialised}" "$1"; }

# Run a command inside a lab host's namespace: lab_exec NAME CMD...
lab_exec() {
    local ns
    ns=$(lab_ns "$1") || return 1
    shift
    ip netns exec "$ns" "$@"
}

# Set sysctls inside a lab host: lab_sysctl NAME key=value...
lab_sysctl() {
    local name=$1 kv
    shift
    for kv in "$@"; do
        _lab_x lab_exec "$name" sysctl -q -w "$kv" >/dev/null || return 1
    done
}

# Load an nftables ruleset (read from stdin) inside a lab host.
lab_nft() { _lab_x lab_exec "$1" nft -f -; }

# Record a variable for STATE_DIR/env (sourceable) and export it here too, so
# functions called later in the same shell can use it.
lab_env() {
    local key=$1 value=$2
    [[ $key =~ ^[A-Z][A-Z0-9_]*$ ]] || { _lab_err "bad env key '$key'"; return 1; }
    _lab_need_init || return 1
    printf 'export %s=%q\n' "$key" "$value" >>"$LAB_STATE_DIR/env" || return 1
    export "$key=$value"
}

# Host name -> env key fragment: "rs-foo" -> "RS_FOO".
_lab_key() { local k=${1^^}; printf '%s\n' "${k//-/_}"; }

# ---------------------------------------------------------------------------
# building blocks

# lab_init STATE_DIR [PREFIX]: start a new lab record.  Refuses a state dir
# that still lists namespaces, since overwriting it would orphan them.
lab_init() {
    local dir=$1 prefix=${2:-${LAB_PREFIX_OVERRIDE:-vcl$$-}}
    [[ -n $dir ]] || { _lab_err "lab_init: STATE_DIR missing"; return 1; }
    # Named up front: a missing program would otherwise surface as a lab that
    # "did not come up" (ping) or a test that waits for a daemon that never ran (mount).
    local tool
    for tool in ip ping nft sysctl mount ss; do
        command -v "$tool" >/dev/null ||
            { _lab_err "$tool is missing: run scripts/install-deps (as root)"; return 1; }
    done
    [[ $prefix =~ ^vcl[a-z0-9]{1,10}-$ ]] || { _lab_err "bad prefix '$prefix'"; return 1; }
    _lab_x mkdir -p "$dir" || return 1
    if [[ -s $dir/state ]] && grep -q '^ns ' "$dir/state"; then
        _lab_err "$dir/state lists a live lab; run 'lab.sh down $dir' first"
        return 1
    fi
    LAB_STATE_DIR=$(cd "$dir" && pwd) || return 1
    LAB_PREFIX=$prefix
    LAB_SWITCH=
    printf 'prefix %s\n' "$prefix" >"$LAB_STATE_DIR/state" || return 1
    : >"$LAB_STATE_DIR/env" || return 1
    lab_env LAB_STATE_DIR "$LAB_STATE_DIR" && lab_env LAB_PREFIX "$prefix"
}

# lab_add_ns NAME: a fresh namespace with lo up, no DAD delay and no ICMP rate
# limit (tests fire several probes per second at the same hosts).
lab_add_ns() {
    local name=$1 ns inode
    _lab_need_init || return 1
    _lab_valid_name "$name" || { _lab_err "bad host name '$name'"; return 1; }
    ns=$(lab_ns "$name")
    _lab_x ip netns add "$ns" || return 1
    # Record at once, before anything else can fail, so `down` removes it.
    inode=$(stat -L -c %i "/run/netns/$ns") || return 1
    printf 'ns %s %s\n' "$ns" "$inode" >>"$LAB_STATE_DIR/state" || return 1
    _lab_x ip -n "$ns" link set lo up || return 1
    lab_sysctl "$name" \
        net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
        net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
        net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
}

# lab_add_switch [NAME]: a namespace holding bridge br0.  The first switch
# becomes the default one for lab_link/lab_add_host.
lab_add_switch() {
    local name=${1:-sw} ns
    lab_add_ns "$name" || return 1
    ns=$(lab_ns "$name")
    # The switch is a pure L2 device: no IPv6 chatter (RS/MLD) of its own.
    lab_sysctl "$name" net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 || return 1
    # No STP/forward delay: ports forward immediately.  No multicast snooping:
    # it would filter IPv6 neighbour solicitations once an IPv6 plane exists.
    _lab_x ip -n "$ns" link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0 || return 1
    _lab_x ip -n "$ns" link set br0 up || return 1
    if [[ -z ${LAB_SWITCH:-} ]]; then
        LAB_SWITCH=$name
        lab_env LAB_SWITCH_NS "$ns" || return 1
    fi
}

# Deterministic, readable MACs for 192.0.2.x hosts (192.0.2.11 ->
# 02:00:00:00:00:11, as in the man pages' examples); other hosts get a random one.
_lab_mac_for() {
    local a
    for a in "$@"; do
        if [[ $a =~ ^192\.0\.2\.([0-9]+)(/[0-9]+)?$ ]]; then
            local o=${BASH_REMATCH[1]}
            printf '02:00:00:00:%02d:%02d\n' $((o / 100)) $((o % 100))
            return 0
        fi
    done
    return 1
}

# lab_link NAME IFNAME [--switch SW] [--port PORT] [--mac MAC] [ADDR[/LEN]...]
# Plug host NAME into a switch with a veth pair: IFNAME on the host, PORT
# (default p-NAME) on the bridge.  IPv4 addresses default to /24, IPv6 to /64
# and are added `nodad`.  The pair is created inside the switch namespace so
# no interface ever appears in the initial namespace.
lab_link() {
    local name=$1 ifname=$2 sw=${LAB_SWITCH:-} port="" mac="" a
    shift 2 || { _lab_err "usage: lab_link NAME IFNAME [opts] [ADDR...]"; return 1; }
    while (($#)); do
        case $1 in
            --switch) sw=$2; shift 2 ;;
            --port) port=$2; shift 2 ;;
            --mac) mac=$2; shift 2 ;;
            *) break ;;
        esac
    done
    [[ -n $sw ]] || { _lab_err "lab_link: no switch (call lab_add_switch first)"; return 1; }
    : "${port:=p-$name}"
    [[ $port =~ ^[a-z][a-z0-9.-]{0,14}$ ]] || { _lab_err "bad port name '$port'"; return 1; }
    [[ $ifname =~ ^[a-z][a-z0-9.-]{0,14}$ ]] || { _lab_err "bad interface name '$ifname'"; return 1; }
    [[ -n $mac ]] || mac=$(_lab_mac_for "$@") || mac=""

    local ns swns
    ns=$(lab_ns "$name") swns=$(lab_ns "$sw")
    _lab_x ip -n "$swns" link add "$port" type veth peer name "$ifname" netns "$ns" || return 1
    _lab_x ip -n "$swns" link set "$port" master br0 up || return 1
    if [[ -n $mac ]]; then
        _lab_x ip -n "$ns" link set "$ifname" address "$mac" || return 1
    fi
    # Per-interface too: the device may predate the namespace defaults.
    lab_sysctl "$name" "net.ipv6.conf.$ifname.accept_dad=0" || return 1
    _lab_x ip -n "$ns" link set "$ifname" up || return 1
    for a in "$@"; do
        if [[ $a == *:* ]]; then
            [[ $a == */* ]] || a=$a/64
            _lab_x ip -n "$ns" -6 addr add "$a" dev "$ifname" nodad || return 1
        else
            [[ $a == */* ]] || a=$a/24
            _lab_x ip -n "$ns" addr add "$a" dev "$ifname" || return 1
        fi
    done
}

# Current MAC of a host interface: lab_mac NAME [IFNAME].  (/sys in this
# shell shows the initial namespace, so ask ip(8).)
lab_mac() {
    local ns
    ns=$(lab_ns "$1") || return 1
    ip -n "$ns" -o link show dev "${2:-eth0}" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'
}

# lab_add_host NAME [--mac MAC] ADDR...: one namespace, one eth0 on the default
# switch.  Exports LAB_NS_<NAME> and LAB_MAC_<NAME> into the env file.
lab_add_host() {
    local name=$1 key mac
    shift
    lab_add_ns "$name" || return 1
    lab_link "$name" eth0 "$@" || return 1
    key=$(_lab_key "$name")
    mac=$(lab_mac "$name")
    [[ -n $mac ]] || { _lab_err "cannot read MAC of $name"; return 1; }
    lab_env "LAB_NS_$key" "$(lab_ns "$name")" && lab_env "LAB_MAC_$key" "$mac"
}

# LVS-DR realserver style VIP: on lo as a /32 (or /128), so the host accepts
# traffic for it without ever claiming it on the wire.
lab_vip_on_lo() {
    local ns len=32
    ns=$(lab_ns "$1") || return 1
    [[ $2 == *:* ]] && len=128
    _lab_x ip -n "$ns" addr add "$2/$len" dev lo
}

# The textbook LVS-DR ARP settings: answer ARP only for addresses on the
# receiving interface, and never use the VIP as ARP sender address.
lab_arp_hide() {
    local name=$1 ifname=${2:-eth0}
    lab_sysctl "$name" \
        net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
        "net.ipv4.conf.$ifname.arp_ignore=1" "net.ipv4.conf.$ifname.arp_announce=2"
}

# Count, on the switch, frames that must never appear: ARP asking for or
# claiming the VIP, and IPv4 packets from the director with the VIP as
# source.  lab_vip_leaks prints the total.
lab_watch_vip() {
    local vip=$1 sw=${LAB_SWITCH:?}
    lab_nft "$sw" <<EOF
table bridge vclwatch {
    counter vip_arp { }
    counter vip_src { }
    chain watch {
        type filter hook forward priority 0; policy accept;
        arp daddr ip $vip counter name vip_arp
        arp saddr ip $vip counter name vip_arp
        iifname "p-director" ip saddr $vip counter name vip_src
    }
}
EOF
}

lab_vip_leaks() {
    local ns=${LAB_SWITCH_NS:-}
    [[ -n $ns ]] || ns=$(lab_ns "${LAB_SWITCH:-sw}") || return 1
    ip netns exec "$ns" nft list table bridge vclwatch 2>/dev/null |
        awk '/counter vip_/ { getline; n += $2 } END { print n + 0 }'
}

# Ping each address once from a host; fail loudly naming every silent one.
lab_ping_check() {
    local from=$1 ip bad=()
    shift
    for ip in "$@"; do
        lab_exec "$from" ping -n -q -c 1 -W 1 "$ip" >/dev/null 2>&1 || bad+=("$ip")
    done
    ((${#bad[@]} == 0)) && return 0
    _lab_err "no ping reply from $from to: ${bad[*]}"
    return 1
}

# lab_spawn NAME LOG CMD...: start a long-running command (a server) in the
# background inside a lab host, output appended to LOG.  Nothing to stop by
# hand: lab_down kills every process of the namespace.  LAB_SPAWNED_PID is its
# pid (`ip netns exec` execs CMD).
lab_spawn() {
    local ns log=$2
    ns=$(lab_ns "$1") || return 1
    shift 2 || return 1
    ip netns exec "$ns" "$@" >>"$log" 2>&1 </dev/null &
    LAB_SPAWNED_PID=$!
}

# lab_wait_tcp NAME PORT [SECONDS]: wait (default 5 s) until a TCP listener on
# PORT exists in host NAME, so a test never races its server's start-up.
lab_wait_tcp() {
    local name=$1 port=$2 secs=${3:-5} ns i
    ns=$(lab_ns "$name") || return 1
    for ((i = 0; i < secs * 10; i++)); do
        [[ -n $(ip netns exec "$ns" ss -Hltn "sport = :$port" 2>/dev/null) ]] && return 0
        sleep 0.1
    done
    _lab_err "nothing listens on TCP port $port in $name after ${secs}s"
    return 1
}

# ---------------------------------------------------------------------------
# extra realservers and TCP services (used by the vip-syn-check lab test)

# lab_add_realserver NAME ADDR: one more LVS-DR realserver (VIP on lo, ARP
# hidden) on the default switch, for a test that extends a lab already up.
# After `lab.sh up` only the env file is left, hence the switch default.
lab_add_realserver() {
    local name=$1 addr=$2
    : "${LAB_SWITCH:=sw}"
    lab_add_host "$name" "$addr" || return 1
    lab_vip_on_lo "$name" "${LAB_VIP:-$LAB_DEF_VIP}" && lab_arp_hide "$name"
}

# lab_tcp_listen NAME ADDR PORT LOG: start tcp_listener.py inside host NAME,
# bound to ADDR:PORT, logging each accepted connection to LOG.  Returns once
# the socket listens.  `lab_down` ends it with the namespace's other processes.
lab_tcp_listen() {
    local name=$1 addr=$2 port=$3 log=$4 ns i
    ns=$(lab_ns "$name") || return 1
    local here
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd) || return 1
    ip netns exec "$ns" /usr/bin/python3 "$here/tcp_listener.py" "$addr" "$port" "$log" \
        </dev/null >/dev/null 2>>"$log.err" &
    for i in $(seq 50); do
        grep -q '^listening ' "$log" 2>/dev/null && return 0
        sleep 0.1
    done
    _lab_err "listener on $name $addr:$port did not come up: $(cat "$log.err" 2>/dev/null)"
    return 1
}

# lab_tcp_conns NAME PEER: TCP connections inside host NAME with PEER as the
# remote address, one `STATE LOCAL REMOTE` line each (listeners excluded).
lab_tcp_conns() {
    lab_exec "$1" ss -Htan state all | awk -v peer="$2" '
        $1 != "LISTEN" { n = split($5, a, ":"); addr = substr($5, 1, length($5) - length(a[n]) - 1)
                         if (addr == peer) print $1, $4, $5 }'
}

# ---------------------------------------------------------------------------
# the standard lab

lab_up() {
    local dir=$1 vip=$LAB_DEF_VIP
    lab_init "$dir" || return 1

    lab_add_switch sw || return 1

    lab_add_host director "$LAB_DEF_DIRECTOR_IP" || return 1
    # A real director holds the VIP; hide it so the director never answers ARP
    # for it on the bridge (that would disturb tests of the never-ARP rule).
    lab_vip_on_lo director "$vip" && lab_arp_hide director || return 1

    lab_add_host healthy "$LAB_DEF_RS_HEALTHY" || return 1
    lab_vip_on_lo healthy "$vip" && lab_arp_hide healthy || return 1

    lab_add_host novip "$LAB_DEF_RS_NOVIP" || return 1

    lab_add_host dropped "$LAB_DEF_RS_DROPPED" || return 1
    lab_vip_on_lo dropped "$vip" && lab_arp_hide dropped || return 1
    lab_nft dropped <<EOF || return 1
table inet vcldrop {
    chain input {
        type filter hook input priority 0; policy accept;
        ip daddr $vip drop
    }
}
EOF

    lab_add_host forward "$LAB_DEF_RS_FORWARD" || return 1
    lab_sysctl forward net.ipv4.ip_forward=1 || return 1
    _lab_x ip -n "$(lab_ns forward)" route add default via "$LAB_DEF_DIRECTOR_IP" || return 1

    lab_watch_vip "$vip" || return 1
    lab_up_v6 || return 1

    lab_env LAB_DIRECTOR_NS "$(lab_ns director)" &&
        lab_env LAB_VIP "$vip" &&
        lab_env LAB_DIRECTOR_IP "$LAB_DEF_DIRECTOR_IP" &&
        lab_env LAB_DIRECTOR_IF eth0 &&
        lab_env LAB_RS_HEALTHY "$LAB_DEF_RS_HEALTHY" &&
        lab_env LAB_RS_NOVIP "$LAB_DEF_RS_NOVIP" &&
        lab_env LAB_RS_DROPPED "$LAB_DEF_RS_DROPPED" &&
        lab_env LAB_RS_FORWARD "$LAB_DEF_RS_FORWARD" &&
        lab_env LAB_RS_ABSENT "$LAB_DEF_RS_ABSENT" || return 1

    lab_check || return 1
    # Written last: its presence means the whole lab came up and was checked.
    lab_env LAB_READY 1
}

# The IPv6 plane of the standard lab, on the hosts lab_up made: the same cases.
# Linux answers neighbour solicitations only for addresses of the receiving
# interface, so a VIP on lo needs no arp_ignore counterpart.
lab_up_v6() {
    local vip6=$LAB_DEF_VIP6
    _lab_x ip -n "$(lab_ns director)" -6 addr add "$LAB_DEF_DIRECTOR_IP6/64" dev eth0 nodad || return 1
    lab_vip_on_lo director "$vip6" || return 1
    _lab_x ip -n "$(lab_ns healthy)" -6 addr add "$LAB_DEF_RS6_HEALTHY/64" dev eth0 nodad || return 1
    lab_vip_on_lo healthy "$vip6" || return 1
    _lab_x ip -n "$(lab_ns novip)" -6 addr add "$LAB_DEF_RS6_NOVIP/64" dev eth0 nodad || return 1
    # Unlike IPv4, a non-forwarding IPv6 host with no route for a destination
    # answers "no route" (ip6_pkt_drop); with a default route, as every real
    # realserver has, it drops the packet silently (ip6_forward): no-reply.
    _lab_x ip -n "$(lab_ns novip)" -6 route add default via "$LAB_DEF_DIRECTOR_IP6" || return 1
    _lab_x ip -n "$(lab_ns dropped)" -6 addr add "$LAB_DEF_RS6_DROPPED/64" dev eth0 nodad || return 1
    lab_vip_on_lo dropped "$vip6" || return 1
    lab_nft dropped <<EOF || return 1
table inet vcldrop6 {
    chain input {
        type filter hook input priority 0; policy accept;
        ip6 daddr $vip6 drop
    }
}
EOF
    _lab_x ip -n "$(lab_ns forward)" -6 addr add "$LAB_DEF_RS6_FORWARD/64" dev eth0 nodad || return 1
    lab_sysctl forward net.ipv6.conf.all.forwarding=1 || return 1
    _lab_x ip -n "$(lab_ns forward)" -6 route add default via "$LAB_DEF_DIRECTOR_IP6" || return 1
    lab_watch_vip6 "$vip6" || return 1
    lab_env LAB_VIP6 "$vip6" &&
        lab_env LAB_DIRECTOR_IP6 "$LAB_DEF_DIRECTOR_IP6" &&
        lab_env LAB_RS6_HEALTHY "$LAB_DEF_RS6_HEALTHY" &&
        lab_env LAB_RS6_NOVIP "$LAB_DEF_RS6_NOVIP" &&
        lab_env LAB_RS6_DROPPED "$LAB_DEF_RS6_DROPPED" &&
        lab_env LAB_RS6_FORWARD "$LAB_DEF_RS6_FORWARD" &&
        lab_env LAB_RS6_ABSENT "$LAB_DEF_RS6_ABSENT"
}

# The IPv6 counterpart of lab_watch_vip: neighbour solicitations for the VIP
# (to its solicited-node group or to the VIP itself), ND from the VIP, and IPv6
# packets from the director with the VIP as source.  lab_vip6_leaks prints the
# total.
lab_watch_vip6() {
    local vip6=$1 sw=${LAB_SWITCH:?} group
    group=$(/usr/bin/python3 -c 'import ipaddress,sys; a=ipaddress.IPv6Address(sys.argv[1]).packed; print(ipaddress.IPv6Address(bytes.fromhex("ff0200000000000000000001ff")+a[13:]))' "$vip6") || return 1
    lab_nft "$sw" <<EOF
table bridge vclwatch6 {
    counter vip_nd { }
    counter vip_src { }
    chain watch {
        type filter hook forward priority 0; policy accept;
        ip6 daddr $group icmpv6 type nd-neighbor-solicit counter name vip_nd
        ip6 daddr $vip6 icmpv6 type nd-neighbor-solicit counter name vip_nd
        ip6 saddr $vip6 icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } counter name vip_nd
        iifname "p-director" ip6 saddr $vip6 counter name vip_src
    }
}
EOF
}

lab_vip6_leaks() {
    local ns=${LAB_SWITCH_NS:-}
    [[ -n $ns ]] || ns=$(lab_ns "${LAB_SWITCH:-sw}") || return 1
    ip netns exec "$ns" nft list table bridge vclwatch6 2>/dev/null |
        awk '/counter vip_/ { getline; n += $2 } END { print n + 0 }'
}

# Sanity checks of the standard lab; each failure is named.
lab_check() {
    local ok=0 route
    lab_ping_check director "$LAB_DEF_RS_HEALTHY" "$LAB_DEF_RS_NOVIP" \
        "$LAB_DEF_RS_DROPPED" "$LAB_DEF_RS_FORWARD" || ok=1
    # The absent RIP must really be absent, or rs-unreachable tests lie.
    if lab_exec director ping -n -q -c 1 -W 1 "$LAB_DEF_RS_ABSENT" >/dev/null 2>&1; then
        _lab_err "$LAB_DEF_RS_ABSENT answered, but nobody should hold it"
        ok=1
    fi
    route=$(lab_exec director ip -4 route get "$LAB_DEF_RS_HEALTHY") || ok=1
    if [[ $route != *"dev eth0 src $LAB_DEF_DIRECTOR_IP"* ]]; then
        _lab_err "director routes $LAB_DEF_RS_HEALTHY unexpectedly: $route"
        ok=1
    fi
    lab_ping_check director "$LAB_DEF_RS6_HEALTHY" "$LAB_DEF_RS6_NOVIP" \
        "$LAB_DEF_RS6_DROPPED" "$LAB_DEF_RS6_FORWARD" || ok=1
    if lab_exec director ping -n -q -c 1 -W 1 "$LAB_DEF_RS6_ABSENT" >/dev/null 2>&1; then
        _lab_err "$LAB_DEF_RS6_ABSENT answered, but nobody should hold it"
        ok=1
    fi
    # The pings above must not have leaked the VIP onto the wire.
    if [[ $(lab_vip6_leaks) != 0 ]]; then
        _lab_err "IPv6 VIP seen in ND/source on the switch while building the lab"
        ok=1
    fi
    if [[ $(lab_vip_leaks) != 0 ]]; then
        _lab_err "VIP seen in ARP/source on the switch while building the lab"
        ok=1
    fi
    return "$ok"
}

# ---------------------------------------------------------------------------
# teardown

# Kill every process living in a namespace: TERM, a short grace, then KILL.
_lab_kill_ns_pids() {
    local ns=$1 pids tries
    for tries in 1 2 3 4 5 6 7 8 9 10 11; do
        mapfile -t pids < <(ip netns pids "$ns" 2>/dev/null | grep -vx -e "$$" -e "${BASHPID:-$$}")
        ((${#pids[@]})) || return 0
        if ((tries == 11)); then
            kill -KILL "${pids[@]}" 2>/dev/null
            sleep 0.1
        else
            ((tries == 1)) && kill -TERM "${pids[@]}" 2>/dev/null
            sleep 0.2
        fi
    done
    return 0
}

# lab_down STATE_DIR: remove the namespaces STATE_DIR/state lists, and nothing
# else.  Idempotent: namespaces already gone are skipped, a missing state file
# means there is nothing to do.  Returns 1 if it refused any entry.
lab_down() {
    local dir=$1 state prefix="" kind ns inode cur rc=0
    state=$dir/state
    [[ -f $state ]] || return 0
    local -a entries=()
    while read -r kind ns inode; do
        case $kind in
            prefix) prefix=$ns ;;
            ns) entries+=("$ns $inode") ;;
            '') ;;
            *) _lab_err "$state: unknown line '$kind $ns'"; return 1 ;;
        esac
    done <"$state"
    if ! [[ $prefix =~ ^vcl[a-z0-9]{1,10}-$ ]]; then
        _lab_err "$state: missing or bad prefix line; refusing to touch anything"
        return 1
    fi

    # Processes first (a listener could hold sockets), then the namespaces;
    # the switch goes with the others, taking the bridge and veth ends along.
    local e
    for e in "${entries[@]}"; do
        read -r ns inode <<<"$e"
        if [[ $ns != "$prefix"* || ! ${ns#"$prefix"} =~ ^[a-z][a-z0-9-]{0,11}$ ]]; then
            _lab_err "refusing '$ns': not a name this lab creates"
            rc=1
            continue
        fi
        [[ -e /run/netns/$ns ]] || continue
        cur=$(stat -L -c %i "/run/netns/$ns" 2>/dev/null) || continue
        if [[ $cur != "$inode" ]]; then
            _lab_err "refusing '$ns': it is not the namespace this lab created"
            rc=1
            continue
        fi
        _lab_kill_ns_pids "$ns"
        ip netns del "$ns" || { _lab_err "cannot delete namespace $ns"; rc=1; }
    done
    if ((rc == 0)); then
        rm -f "$state" "$dir/env"
    fi
    return "$rc"
}

# ---------------------------------------------------------------------------
# CLI

_lab_up_exit() {
    local rc=$?
    if ((_lab_up_done != 1)) && [[ ${LAB_KEEP_ON_FAIL:-0} != 1 ]]; then
        _lab_err "tearing down the partial lab in $1"
        lab_down "$1"
    fi
    return "$rc"
}

_lab_main() {
    local cmd=${1:-} dir=${2:-}
    if [[ -z $cmd || -z $dir || $# -ne 2 ]]; then
        echo "usage: $0 up|down STATE_DIR" >&2
        return 1
    fi
    if ((EUID != 0)); then
        _lab_err "must run as root (network namespaces)"
        return 1
    fi
    case $cmd in
        up)
            # However `up` ends early (failure, `set -u` abort, Ctrl-C, kill),
            # remove what it built so far; LAB_KEEP_ON_FAIL=1 keeps it for
            # debugging.  The EXIT trap sees every path, the signal traps
            # just turn signals into an exit.
            _lab_up_done=0
            _lab_up_dir=$dir
            trap '_lab_up_exit "$_lab_up_dir"' EXIT
            trap 'exit 130' INT
            trap 'exit 143' TERM
            lab_up "$dir" || { _lab_err "lab did not come up"; return 1; }
            _lab_up_done=1
            ;;
        down) lab_down "$dir" ;;
        *)
            echo "usage: $0 up|down STATE_DIR" >&2
            return 1
            ;;
    esac
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    set -euo pipefail
    _lab_main "$@"
fi
