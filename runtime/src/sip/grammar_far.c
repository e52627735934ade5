/* sip/grammar_far.c: the generated scanners a second time, recording how far each one
 * looked (sipspec_gf_*). The parser calls them only after a fast scanner failed, so error
 * reports carry the exact position while the hot path stays free of the bookkeeping. */
#define SIPSPEC_G_TRACK_FAR 1
#include "sip/sip_message.c"
