/* test_wav_header.c: the RIFF/WAVE header `sipspec call --record FILE.wav` writes
 * (call_media.h): G.711 kept as received, format tag 7 for PCMU and 6 for PCMA, the fmt chunk
 * of 18 bytes, the fact chunk a non-PCM format needs, sizes that add up (odd data padded). */
#include <stdint.h>
#include <string.h>

#include "call_media.h"
#include "cunit_main.h"

static uint32_t le32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static unsigned le16(const unsigned char *p) { return (unsigned)p[0] | (unsigned)p[1] << 8; }

static void check_header(unsigned pt, uint32_t n, unsigned tag) {
  unsigned char h[CLI_WAV_G711_HEADER];
  memset(h, 0xAA, sizeof h);
  cli_wav_g711_header(h, pt, n);
  CU_ASSERT_EQUAL(memcmp(h, "RIFF", 4), 0);
  CU_ASSERT_EQUAL(le32(h + 4), 58u - 8u + n + (n & 1u)); /* the file's size minus 8, pad included */
  CU_ASSERT_EQUAL(memcmp(h + 8, "WAVEfmt ", 8), 0);
  CU_ASSERT_EQUAL(le32(h + 16), 18);
  CU_ASSERT_EQUAL(le16(h + 20), tag);
  CU_ASSERT_EQUAL(le16(h + 22), 1);
  CU_ASSERT_EQUAL(le32(h + 24), 8000);
  CU_ASSERT_EQUAL(le32(h + 28), 8000);
  CU_ASSERT_EQUAL(le16(h + 32), 1);
  CU_ASSERT_EQUAL(le16(h + 34), 8);
  CU_ASSERT_EQUAL(le16(h + 36), 0);
  CU_ASSERT_EQUAL(memcmp(h + 38, "fact", 4), 0);
  CU_ASSERT_EQUAL(le32(h + 42), 4);
  CU_ASSERT_EQUAL(le32(h + 46), n);
  CU_ASSERT_EQUAL(memcmp(h + 50, "data", 4), 0);
  CU_ASSERT_EQUAL(le32(h + 54), n);
}

static void test_ulaw(void) {
  check_header(0, 0, 7);
  check_header(0, 16000, 7);
}
static void test_alaw_odd(void) {
  check_header(8, 16001, 6);
  check_header(8, 1, 6);
}

static const tst_case TESTS[] = {
    {"ulaw_tag7", test_ulaw},
    {"alaw_tag6_odd_size", test_alaw_odd},
    {NULL, NULL},
};

int main(void) { return tst_main("media_wav_header", TESTS); }
