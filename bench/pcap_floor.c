/*
 * pcap_floor IF FILTER - the floor for any libpcap-based probe: open a capture on IF
 * exactly as vipcheck's link.cpp does (512-byte snapshot, immediate mode, 64 KiB ring,
 * inbound only, FILTER compiled with the optimiser), close it and exit 0. No frame is
 * sent or read. bench/run times it beside the probes, so the table shows what
 * Debian's libpcap costs a process before the probe has done anything of its own.
 */
#include <pcap/pcap.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    struct bpf_program program;
    pcap_t *p;

    if (argc != 3) {
        fprintf(stderr, "usage: pcap_floor IF FILTER\n");
        return 2;
    }
    p = pcap_create(argv[1], errbuf);
    if (!p) {
        fprintf(stderr, "pcap_floor: %s\n", errbuf);
        return 1;
    }
    pcap_set_snaplen(p, 512);
    pcap_set_promisc(p, 0);
    pcap_set_immediate_mode(p, 1);
    pcap_set_buffer_size(p, 64 * 1024);
    if (pcap_activate(p) < 0 || pcap_setdirection(p, PCAP_D_IN) < 0 ||
        pcap_compile(p, &program, argv[2], 1, PCAP_NETMASK_UNKNOWN) < 0 || pcap_setfilter(p, &program) < 0) {
        fprintf(stderr, "pcap_floor: %s\n", pcap_geterr(p));
        pcap_close(p);
        return 1;
    }
    pcap_freecode(&program);
    pcap_close(p);
    return 0;
}
