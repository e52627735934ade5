# spec/offer_answer.rl: the SDP offer/answer state of an MRCPv2 session seen from the client
# (sipspec_mrcp_session_t, runtime/src/sdp/mrcp_session.c).
#
# The client makes every offer: the first in the INVITE, the later ones in re-INVITEs that
# add or remove a resource (RFC 6787 §4.2); the server answers. One machine lives inside each
# sipspec_mrcp_session object, with no loop and no timers: the SIP side (spec/uac_session.rl,
# spec/uac_update.rl) decides when an offer goes out and when it has failed, and calls the
# session's functions, which feed this chart.
#
# Each operation is two steps, so that nothing changes when the work fails: the first event
# does the work and stays in the state (OFFER_WRITE writes the offer into the caller's
# buffer, RX_ANSWER reads the answer against the offer), the second commits it (OFFER_MADE
# keeps the offer, ANSWER_FITS applies the answer; ANSWER_REFUSED keeps everything as it
# was). Which offer gets written is the chart's: before any answer every control m-line is
# offered with a=connection:new, afterwards with a=connection:existing (RFC 6787 §4.2).
#
# Two things the session's API has always allowed, and this chart keeps: writing another
# offer while one is out replaces it, and an answer to the offer already answered is read and
# applied again. RFC 3264 §4 allows one offer out at a time and RFC 3261 §13.2.1 has the UAC
# ignore later session descriptions in responses to the INVITE: keeping to that is the SIP
# side's part (spec/uac_update.rl sends one re-INVITE at a time and applies one answer each).
#
#@ title: SDP offer/answer of an MRCPv2 client session
#@ rfc: RFC 3264 §4, §5, §7, §8; RFC 3261 §13.2.1, §14.1; RFC 6787 §4.2
#@ final: Closed
#@ actions: context=sipspec_mrcp_session prefix=oa_act_ in=runtime/src/sdp/mrcp_session.c
#
#@ waits Offered: the answer comes in the response to the INVITE, whose transaction bounds the wait (RFC 3261 §13.2.1)
#@ waits Established: the session lasts until the client changes or ends it (RFC 6787 §4.2)
#@ waits Reoffered: the answer comes in the response to the re-INVITE, whose transaction bounds the wait (RFC 3261 §14.1)
#
# Anything the chart does not name is refused: the session's functions answer SIPSPEC_E_STATE
# (an answer with no offer out, a refused re-offer before any answer was applied).
#@ undefined * *: error

%%{
  machine offer_answer;

  main := (
    start: Initial: (
        OFFER_WRITE @write_offer_new -> Initial                   # RFC 6787 §4.2 (a=connection:new on the very first control m-line offer), RFC 3264 §5
      | OFFER_MADE @keep_offer -> Offered                          # RFC 3264 §4 (protocol operation begins with the initial offer), RFC 3261 §13.2.1
      | TU_END -> Closed                                           # RFC 3261 §15 (the session ended before any offer)
    ),
    Offered: (
        OFFER_WRITE @write_offer_new -> Offered                   # RFC 6787 §4.2 (still no connection to share: a=connection:new), RFC 3264 §5
      | OFFER_MADE @keep_offer -> Offered                          # RFC 3264 §4 (one offer out at a time: it replaces one never sent)
      | RX_ANSWER @check_answer -> Offered                         # RFC 3264 §6, RFC 6787 §4.2 (the answer must fit the offer), RFC 3261 §13.2.1
      | ANSWER_FITS @apply_answer @settle_layout -> Established    # RFC 3264 §7, RFC 3261 §13.2.1 (the answer in the 2xx)
      | ANSWER_REFUSED -> Offered                                  # RFC 3264 §4 para 3 (the exchange is atomic: a rejected answer changes nothing)
      | TU_END -> Closed                                           # RFC 3261 §15
    ),
    Established: (
        OFFER_WRITE @write_offer_existing -> Established          # RFC 6787 §4.2 (later offers share the connection: a=connection:existing), RFC 3264 §8
      | OFFER_MADE @keep_offer -> Reoffered                        # RFC 3264 §8 (a new offer modifies the session), RFC 3261 §14.1
      | RX_ANSWER @check_answer -> Established                     # RFC 3261 §13.2.1 (the answer to the offer already answered, read again)
      | ANSWER_FITS @apply_answer @settle_layout -> Established    # RFC 3264 §7 (the same answer applied again)
      | ANSWER_REFUSED -> Established                              # RFC 3264 §4 para 3 (the session stays as it is)
      | OFFER_REFUSED @restore_layout -> Established               # RFC 3261 §14.1 (a re-offer that never went out: the session as it was, and the next offer too)
      | TU_END -> Closed                                           # RFC 6787 §4.2 (BYE deallocates every control channel), RFC 3261 §15
    ),
    Reoffered: (
        OFFER_WRITE @write_offer_existing -> Reoffered            # RFC 6787 §4.2, RFC 3264 §8
      | OFFER_MADE @keep_offer -> Reoffered                        # RFC 3264 §4, §8 (one offer out at a time: it replaces one never sent)
      | RX_ANSWER @check_answer -> Reoffered                       # RFC 3264 §6, §8, RFC 6787 §4.2
      | ANSWER_FITS @apply_answer @settle_layout -> Established    # RFC 3264 §7, §8.1, §8.2; RFC 3261 §14.1 (the answer in the 2xx to the re-INVITE)
      | ANSWER_REFUSED -> Reoffered                                # RFC 3264 §4 para 3 (nothing changes until the offer is refused)
      | OFFER_REFUSED @restore_layout -> Established               # RFC 3261 §14.1 (a non-2xx final response: the session parameters remain unchanged), RFC 3264 §4, RFC 6787 §4.2
      | TU_END -> Closed                                           # RFC 6787 §4.2, RFC 3261 §15
    ),
    Closed: ( zlen )
  );
}%%
