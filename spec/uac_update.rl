# spec/uac_update.rl: the re-INVITEs an MRCPv2 client sends inside its established session
# to add or remove a resource, beside the session's own chart (spec/uac_session.rl).
#
# One offer at a time (RFC 3261 §14.1: no re-INVITE while another INVITE transaction is in
# progress). A refused offer leaves the session as it was (RFC 6787 §4.2, RFC 3264 §8); a 491
# waits a random 2.1 to 4 s (we own the Call-ID) and offers once more; a 401/407 is answered
# with credentials (RFC 3261 §22.2); a 481/408 or no response at all ends the dialog, which
# the session's chart does (§12.2.1.2), so this chart ends too.
#
# The server's re-INVITEs meet ours here too: a refresh of the session (RFC 3264 §8: the
# same o= line and version) gets 200 (RX_INVITE), sent again until its ACK (Answering,
# RFC 3261 §13.3.1.4); any other offer gets 488 (RX_INVITE_CHANGE: RFC 6787 §4.2, the
# client changes the session); while ours is in progress, 491 (§14.2); while our 2xx waits
# for its ACK, 500 with Retry-After (§14.2).
#
#@ title: UAC session update (MRCPv2 client re-INVITE)
#@ rfc: RFC 3261 §14 (modifying a session), §13.3.1.4, §22.2 (authentication); RFC 3264 §8; RFC 6787 §4.2
#@ final: Terminated
#@ actions: context=sipspec_session prefix=update_act_ in=runtime/src/session/session_update.c
#
#@ timer RETRY: start=2100ms                              # RFC 3261 §14.1 (491: random 2.1..4 s in 10 ms units, chosen before each start)
#
#@ waits Ready: the application adds or removes a resource when it needs one (RFC 6787 §4.2)
#
#@ undefined * rx: ignore
#@ undefined * transport: ignore
#@ undefined * *: error

%%{
  machine uac_update;

  main := (
    start: Idle: (
        TU_START -> Ready                                                       # RFC 3261 §14.1 (a session exists once the INVITE is answered)
      | TU_END -> Terminated                                                    # RFC 3261 §15 (the session ended before it was established)
      | RX_INVITE_CHANGE @answer_488 -> Idle                                    # RFC 3261 §13.3.1 (nothing negotiated to refresh: a dialog whose answer was refused)
    ),
    Ready: (
        TU_REQUEST @send_offer -> Offering                                      # RFC 6787 §4.2, RFC 3264 §8 (a new offer in a re-INVITE)
      | RX_2XX @send_ack -> Ready                                               # RFC 3261 §13.2.2.4 (ACK every 2xx retransmission)
      | RX_INVITE @answer_refresh -> Answering                                  # RFC 3264 §8, RFC 3261 §13.3.1.4 (200, sent again until its ACK)
      | RX_INVITE_CHANGE @answer_488 -> Ready                                   # RFC 6787 §4.2, RFC 3261 §13.3.1, §21.4.26
      | TU_END -> Terminated                                                    # RFC 3261 §15
    ),
    Answering: (
        RX_ACK -> Ready                                                         # RFC 3261 §13.3.1.4 (the ACK for our 2xx)
      | RX_INVITE @answer_500 -> Answering                                      # RFC 3261 §14.2 (500 with Retry-After)
      | RX_INVITE_CHANGE @answer_500 -> Answering                               # RFC 3261 §14.2
      | NOT_SENT -> Ready                                                       # RFC 3261 §13.3.1.4 (no 2xx went out: none to wait for)
      | NO_ACK -> Terminated                                               # RFC 3261 §13.3.1.4 (no ACK in 64*T1: the session ends with BYE)
      | TU_END -> Terminated                                                    # RFC 3261 §15
    ),
    Offering: (
        RX_2XX @send_ack @report_updated -> Ready                               # RFC 3261 §14.1, §13.2.2.4; RFC 3264 §8
      | RX_300_699 @report_refused -> Ready                                     # RFC 3261 §14.1, RFC 6787 §4.2 (the session goes on as it was)
      | RX_491 @choose_retry_wait @start_timer_RETRY -> Retrying                # RFC 3261 §14.1 (491 Request Pending)
      | AUTH_RETRY @send_offer_with_credentials -> Offering                     # RFC 3261 §22.2
      | AUTH_FAILED @report_refused -> Ready                                    # RFC 3261 §22.2
      | RX_481_408 @report_refused -> Terminated                                # RFC 3261 §12.2.1.2 (the dialog ends)
      | TXN_TIMEOUT @report_unanswered -> Terminated                            # RFC 3261 §14.1, §12.2.1.2 (no response: the dialog ends)
      | NOT_SENT -> Ready                                                       # RFC 3261 §14.1 (nothing went out; the sender said why)
      | RX_INVITE @answer_491 -> Offering                                       # RFC 3261 §14.2 (491 while our INVITE is in progress)
      | RX_INVITE_CHANGE @answer_491 -> Offering                                # RFC 3261 §14.2
      | TU_END -> Terminated                                                    # RFC 3261 §15
    ),
    Retrying: (
        TIMER_RETRY @send_offer_again -> Reoffering                             # RFC 3261 §14.1 (attempt the re-INVITE once more)
      | RX_INVITE @answer_refresh -> Retrying                                   # RFC 3261 §14.1 (the wait lets the other side's INVITE through), §13.3.1.4
      | RX_INVITE_CHANGE @answer_488 -> Retrying                                # RFC 6787 §4.2, RFC 3261 §13.3.1
      | TU_END @stop_timer_RETRY -> Terminated                                  # RFC 3261 §14.1 (hung up: the re-INVITE does not take place)
    ),
    Reoffering: (
        RX_2XX @send_ack @report_updated -> Ready                               # RFC 3261 §14.1, §13.2.2.4; RFC 3264 §8
      | RX_300_699 @report_refused -> Ready                                     # RFC 3261 §14.1, RFC 6787 §4.2
      | RX_491 @report_refused -> Ready                                         # RFC 3261 §14.1 (once more only)
      | AUTH_RETRY @send_offer_with_credentials -> Reoffering                   # RFC 3261 §22.2
      | AUTH_FAILED @report_refused -> Ready                                    # RFC 3261 §22.2
      | RX_481_408 @report_refused -> Terminated                                # RFC 3261 §12.2.1.2
      | TXN_TIMEOUT @report_unanswered -> Terminated                            # RFC 3261 §14.1, §12.2.1.2
      | NOT_SENT -> Ready                                                       # RFC 3261 §14.1 (nothing went out; the sender said why)
      | RX_INVITE @answer_491 -> Reoffering                                     # RFC 3261 §14.2
      | RX_INVITE_CHANGE @answer_491 -> Reoffering                              # RFC 3261 §14.2
      | TU_END -> Terminated                                                    # RFC 3261 §15
    ),
    Terminated: ( zlen )
  );
}%%
