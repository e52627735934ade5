/* test_rtp_stats.c: RFC 3550 Appendix A as sipspec implements it, against values computed
 * by hand: A.1 probation, wrap, duplicates, reordering and re-sync after a jump; A.3
 * cumulative and per-interval loss and the fraction; A.8 jitter; A.7 interval bounds; RTCP
 * compounds written and parsed, and every truncation or bad length refused. */
#include <stdio.h>
#include <string.h>

#include "cunit_main.h"
#include "media/media_internal.h"
#include "sipspec/error.h"
#include "sipspec/rtp.h"

/* A source fed a list of sequence numbers; returns how many update_seq() accepted. */
static int feed(sipspec_rtp_source *s, const uint16_t *seq, int n) {
  int ok = 0;
  for (int i = 0; i < n; i++) ok += sipspec_rtp_source_update(s, seq[i]);
  return ok;
}

/* A.1: two packets in sequence end probation; the first is not counted (init_seq on the
 * second), so base_seq is the second. */
static void test_probation(void) {
  sipspec_rtp_source s;
  sipspec_rtp_source_init(&s, 100);
  CU_ASSERT_EQUAL(sipspec_rtp_source_update(&s, 100), 0);
  CU_ASSERT_EQUAL(s.probation, 1);
  CU_ASSERT_EQUAL(sipspec_rtp_source_update(&s, 101), 1);
  CU_ASSERT_EQUAL(s.probation, 0);
  CU_ASSERT_EQUAL(s.base_seq, 101);
  CU_ASSERT_EQUAL(s.received, 1);
  CU_ASSERT_EQUAL(sipspec_rtp_source_expected(&s), 1);
  CU_ASSERT_EQUAL(sipspec_rtp_source_lost(&s), 0);
  /* out of sequence during probation: probation restarts at MIN_SEQUENTIAL - 1 */
  sipspec_rtp_source_init(&s, 500);
  CU_ASSERT_EQUAL(sipspec_rtp_source_update(&s, 500), 0);
  CU_ASSERT_EQUAL(sipspec_rtp_source_update(&s, 502), 0);
  CU_ASSERT_EQUAL(s.probation, 1);
  CU_ASSERT_EQUAL(sipspec_rtp_source_update(&s, 503), 1);
  CU_ASSERT_EQUAL(s.base_seq, 503);
}

/* A.1: the wrap 65535 -> 0 adds a cycle; also a probation crossing the wrap. */
static void test_wrap(void) {
  sipspec_rtp_source s;
  sipspec_rtp_source_init(&s, 65534);
  const uint16_t q[] = {65534, 65535, 0, 1, 2};
  CU_ASSERT_EQUAL(feed(&s, q, 5), 4);
  CU_ASSERT_EQUAL(s.cycles, 65536u);
  CU_ASSERT_EQUAL(sipspec_rtp_source_ext_max(&s), 65538u);
  CU_ASSERT_EQUAL(sipspec_rtp_source_expected(&s), 4u); /* 65535, 0, 1, 2 */
  CU_ASSERT_EQUAL(sipspec_rtp_source_lost(&s), 0);
  sipspec_rtp_source_init(&s, 65535);
  const uint16_t w[] = {65535, 0, 1};
  CU_ASSERT_EQUAL(feed(&s, w, 3), 2);
  CU_ASSERT_EQUAL(s.base_seq, 0u);
  CU_ASSERT_EQUAL(sipspec_rtp_source_expected(&s), 2u);
}

/* A.3: 10..15 with 13 and 14 missing: expected 5 (11..15 after probation), received 3,
 * lost 2; fraction (2 << 8) / 5 = 102; the next interval with none lost gives 0. */
static void test_loss(void) {
  sipspec_rtp_source s;
  sipspec_rtp_source_init(&s, 10);
  const uint16_t q[] = {10, 11, 12, 15};
  CU_ASSERT_EQUAL(feed(&s, q, 4), 3);
  CU_ASSERT_EQUAL(sipspec_rtp_source_expected(&s), 5u);
  CU_ASSERT_EQUAL(sipspec_rtp_source_lost(&s), 2);
  int32_t li;
  uint8_t f;
  sipspec_rtp_source_interval(&s, &li, &f);
  CU_ASSERT_EQUAL(li, 2);
  CU_ASSERT_EQUAL(f, 102);
  const uint16_t r[] = {16, 17, 18};
  feed(&s, r, 3);
  sipspec_rtp_source_interval(&s, &li, &f);
  CU_ASSERT_EQUAL(li, 0);
  CU_ASSERT_EQUAL(f, 0);
  /* 19 lost, 20..22 received: one of 4 lost in the interval, 64/256 */
  const uint16_t t[] = {20, 21, 22};
  feed(&s, t, 3);
  sipspec_rtp_source_interval(&s, &li, &f);
  CU_ASSERT_EQUAL(li, 1);
  CU_ASSERT_EQUAL(f, 64);
  CU_ASSERT_EQUAL(sipspec_rtp_source_lost(&s), 3);
}

/* A.1 / A.3: a duplicate is counted as received, so loss goes down (here to -1); a
 * reordered packet leaves max_seq alone and fills the gap. */
static void test_duplicates_reordering(void) {
  sipspec_rtp_source s;
  sipspec_rtp_source_init(&s, 1);
  const uint16_t q[] = {1, 2, 3, 5, 4, 6};
  CU_ASSERT_EQUAL(feed(&s, q, 6), 5);
  CU_ASSERT_EQUAL(s.max_seq, 6);
  CU_ASSERT_EQUAL(sipspec_rtp_source_expected(&s), 5u);
  CU_ASSERT_EQUAL(sipspec_rtp_source_lost(&s), 0);
  CU_ASSERT_EQUAL(sipspec_rtp_source_update(&s, 6), 1); /* duplicate */
  CU_ASSERT_EQUAL(sipspec_rtp_source_lost(&s), -1);
  int32_t li;
  uint8_t f;
  sipspec_rtp_source_interval(&s, &li, &f);
  CU_ASSERT_EQUAL(li, -1);
  CU_ASSERT_EQUAL(f, 0); /* A.3: no negative fraction */
}

/* A.1: a jump beyond MAX_DROPOUT is dropped once, and taken as a restart when the next
 * packet follows it (the source re-synchronises: base_seq is the jump). */
static void test_jump_resync(void) {
  sipspec_rtp_source s;
  sipspec_rtp_source_init(&s, 1);
  const uint16_t q[] = {1, 2, 3};
  feed(&s, q, 3);
  CU_ASSERT_EQUAL(sipspec_rtp_source_update(&s, 10000), 0);
  CU_ASSERT_EQUAL(s.bad_seq, 10001u);
  CU_ASSERT_EQUAL(sipspec_rtp_source_update(&s, 10001), 1);
  CU_ASSERT_EQUAL(s.base_seq, 10001u);
  CU_ASSERT_EQUAL(s.received, 1u);
  CU_ASSERT_EQUAL(sipspec_rtp_source_lost(&s), 0);
  /* a jump back within MAX_MISORDER is a late packet, not a jump */
  CU_ASSERT_EQUAL(sipspec_rtp_source_update(&s, 9950), 1);
  CU_ASSERT_EQUAL(s.max_seq, 10001);
}

/* A.8: timestamps 0, 160, 320, 480 arriving at 1000, 1168, 1320, 1496 (timestamp units):
 * transits 1000, 1008, 1000, 1016, |D| = 8, 8, 16, so J = 0.5, 0.96875, 1.908203125. */
static void test_jitter(void) {
  sipspec_rtp_source s;
  sipspec_rtp_source_init(&s, 1);
  sipspec_rtp_source_jitter(&s, 1000, 0);
  CU_ASSERT_EQUAL(s.jitter, 0.0);
  sipspec_rtp_source_jitter(&s, 1168, 160);
  CU_ASSERT_EQUAL(s.jitter, 0.5);
  sipspec_rtp_source_jitter(&s, 1320, 320);
  CU_ASSERT_EQUAL(s.jitter, 0.96875);
  sipspec_rtp_source_jitter(&s, 1496, 480);
  CU_ASSERT_EQUAL(s.jitter, 1.908203125);
  /* the transit difference across a 32-bit timestamp wrap */
  sipspec_rtp_source_init(&s, 1);
  sipspec_rtp_source_jitter(&s, 100, 0xFFFFFF00u);
  sipspec_rtp_source_jitter(&s, 100 + 160 + 32, 0xFFFFFF00u + 160u);
  CU_ASSERT_EQUAL(s.jitter, 2.0);
}

/* A.7: two members, one sender that is us: n = 2 (senders > members/4), t = 5 s minimum,
 * randomised into [2.5, 7.5] / (e - 1.5); the initial interval halves the minimum. */
static void test_interval(void) {
  double c = 2.71828 - 1.5;
  double lo = sipspec_rtcp_interval(2, 1, 500, 1, 100, 0, 5.0, 0.0);
  double hi = sipspec_rtcp_interval(2, 1, 500, 1, 100, 0, 5.0, 0.999999);
  CU_ASSERT_DOUBLE_EQUAL(lo, 2.5 / c, 1e-9);
  CU_ASSERT_DOUBLE_EQUAL(hi, 7.5 / c, 1e-4);
  CU_ASSERT_DOUBLE_EQUAL(sipspec_rtcp_interval(2, 1, 500, 1, 100, 1, 5.0, 0.5), 2.5 / c, 1e-9);
  /* bandwidth-bound: 50 members, receivers share 75% of 100 octets/s at 200 octets each */
  CU_ASSERT_DOUBLE_EQUAL(sipspec_rtcp_interval(50, 1, 100, 0, 200, 0, 5.0, 0.5), 200.0 * 49 / 75 / c, 1e-9);
}

/* A compound SR + SDES + BYE written and read back; every prefix of it refused. */
static void test_rtcp_roundtrip(void) {
  uint8_t buf[512];
  rtcp_writer w;
  rtcp_writer_init(&w, buf, sizeof buf);
  rtcp_report_block b = {0x11223344u, 25, -3, 70000, 12, 0xAABBCCDDu, 6553};
  rtcp_write_report(&w, 0xCAFEBABEu, 1, 3900000000u, 0x80000000u, 1234, 50, 8000, &b, 1);
  rtcp_write_sdes_cname(&w, 0xCAFEBABEu, "alice@127.0.0.1");
  rtcp_write_bye(&w, 0xCAFEBABEu, "done");
  CU_ASSERT_TRUE(w.ok);
  CU_ASSERT_EQUAL(w.len % 4, 0);
  rtcp_parsed p;
  const char *why = NULL;
  CU_ASSERT_EQUAL(sipspec_rtcp_parse(buf, w.len, &p, &why), 0);
  CU_ASSERT_EQUAL(p.npackets, 3);
  CU_ASSERT_TRUE(p.has_sr);
  CU_ASSERT_EQUAL(p.ssrc, 0xCAFEBABEu);
  CU_ASSERT_EQUAL(p.ntp_sec, 3900000000u);
  CU_ASSERT_EQUAL(p.sender_packets, 50u);
  CU_ASSERT_EQUAL(p.nblocks, 1);
  CU_ASSERT_EQUAL(p.blocks[0].lost, -3);
  CU_ASSERT_EQUAL(p.blocks[0].fraction, 25);
  CU_ASSERT_EQUAL(p.blocks[0].lsr, 0xAABBCCDDu);
  CU_ASSERT_EQUAL(p.blocks[0].dlsr, 6553u);
  CU_ASSERT_STRING_EQUAL(p.cname, "alice@127.0.0.1");
  CU_ASSERT_TRUE(p.bye);
  /* a prefix that ends between packets is a shorter valid compound; any other is refused */
  for (size_t n = 0; n < w.len; n++) {
    int boundary = n == 52 || n == 80; /* SR with one block; then SDES of a 15-octet CNAME */
    CU_ASSERT_EQUAL(sipspec_rtcp_parse(buf, n, &p, NULL), boundary ? 0 : -1);
  }
  /* a writer with too little room writes nothing and says so */
  rtcp_writer_init(&w, buf, 20);
  rtcp_write_report(&w, 1, 1, 0, 0, 0, 0, 0, &b, 1);
  CU_ASSERT_FALSE(w.ok);
  CU_ASSERT_EQUAL(w.len, 0);
}

/* Malformed compounds, each with the reason the parser gives. */
static void test_rtcp_malformed(void) {
  uint8_t buf[256];
  rtcp_writer w;
  rtcp_writer_init(&w, buf, sizeof buf);
  rtcp_write_report(&w, 7, 0, 0, 0, 0, 0, 0, NULL, 0);
  rtcp_write_sdes_cname(&w, 7, "x");
  size_t len = w.len;
  rtcp_parsed p;
  const char *why;
  uint8_t t[256];
  memcpy(t, buf, len);
  t[0] = 0x40; /* version 1 */
  CU_ASSERT_EQUAL(sipspec_rtcp_parse(t, len, &p, &why), -1);
  memcpy(t, buf, len);
  t[3] = 200; /* RR length past the datagram */
  CU_ASSERT_EQUAL(sipspec_rtcp_parse(t, len, &p, &why), -1);
  memcpy(t, buf, len);
  t[0] = 0x81; /* RR claiming one report block it does not have */
  CU_ASSERT_EQUAL(sipspec_rtcp_parse(t, len, &p, &why), -1);
  memcpy(t, buf, len);
  t[8 + 9] = 40; /* SDES item longer than the packet */
  CU_ASSERT_EQUAL(sipspec_rtcp_parse(t, len, &p, &why), -1);
  CU_ASSERT_PTR_NOT_NULL(why);
  memcpy(t, buf, len);
  t[0] |= 0x20; /* padding on the first of two packets */
  CU_ASSERT_EQUAL(sipspec_rtcp_parse(t, len, &p, &why), -1);
  /* SDES first: not a valid compound (A.2) */
  CU_ASSERT_EQUAL(sipspec_rtcp_parse(buf + 8, len - 8, &p, &why), -1);
  CU_ASSERT_EQUAL(sipspec_rtcp_parse(buf, len, &p, &why), 0);
}

/* The MOS needs the RTT: absent, the estimate is refused, not made up. */
static void test_mos(void) {
  sipspec_rtp_stats st;
  memset(&st, 0, sizeof st);
  double r, m;
  CU_ASSERT_EQUAL(sipspec_rtp_mos(&st, &r, &m), SIPSPEC_E_STATE);
  st.rtt_known = 1;
  st.rtt_ms = 40;
  CU_ASSERT_EQUAL(sipspec_rtp_mos(&st, &r, &m), SIPSPEC_OK);
  CU_ASSERT_DOUBLE_EQUAL(r, 93.2 - 0.024 * 20, 1e-9); /* no loss, d = 20 ms */
  CU_ASSERT_TRUE(m > 4.3 && m < 4.5);
  st.expected = 100;
  st.lost = 5;
  double r2;
  CU_ASSERT_EQUAL(sipspec_rtp_mos(&st, &r2, &m), SIPSPEC_OK);
  CU_ASSERT_DOUBLE_EQUAL(r2, 93.2 - 0.48 - 95 * 5 / 9.3, 1e-9);
}

static const tst_case TESTS[] = {
    {"a1_probation", test_probation},
    {"a1_wrap", test_wrap},
    {"a3_loss", test_loss},
    {"a1_duplicates_reordering", test_duplicates_reordering},
    {"a1_jump_resync", test_jump_resync},
    {"a8_jitter", test_jitter},
    {"a7_interval", test_interval},
    {"rtcp_roundtrip", test_rtcp_roundtrip},
    {"rtcp_malformed", test_rtcp_malformed},
    {"mos_needs_rtt", test_mos},
    {NULL, NULL},
};

int main(void) { return tst_main("media_rtp_stats", TESTS); }
