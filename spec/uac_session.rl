# spec/uac_session.rl: the session an MRCPv2 client lives through, from its first INVITE to
# the end of its BYE.
#
#@ title: UAC session (MRCPv2 client)
#@ rfc: RFC 3261 §13.2 (UAC INVITE), §9.1 (CANCEL), §15.1 (BYE), §22.2 (authentication); RFC 6787 §4
#@ final: Terminated
#@ actions: context=sipspec_session prefix=session_act_ in=runtime/src/session/session.c
#
#@ timer ANSWER: start=180000ms                           # RFC 3261 §9.1 (give up ringing after 3 minutes)
#@ timer CANCEL: start=64*T1                              # RFC 3261 §9.1 (no final response 64*T1 after CANCEL)
#@ timer KEEPALIVE: start=30000ms                         # RFC 3261 §11 (OPTIONS inside the dialog at the application's interval; off without one)
#
# The re-INVITEs that add and remove resources run beside this chart, on spec/uac_update.rl;
# the session timer (RFC 4028) on spec/session_timer.rl, which has the INVITE sent again after
# a 422 (SE_RETRY) and ends the session with BYE (SE_END).
#
# An established session lasts as long as the application holds it.
#@ waits Established: the application holds the MRCP session until it ends it or the server sends BYE (RFC 6787 §4)
#
#@ undefined * rx: ignore
#@ undefined * transport: ignore
#@ undefined * *: error

%%{
  machine uac_session;

  main := (
    start: Idle: (
        TU_START @send_invite -> Inviting                                       # RFC 3261 §13.2.1
      | TU_END @stop_resolving @report_ended_early -> Terminated                # RFC 3261 §9.1 (nothing sent yet: nothing to cancel)
      | TRANSPORT_ERR @report_transport_error -> Terminated                     # RFC 3263 §4.2, RFC 3261 §18.1.1 (no address to send the INVITE to)
    ),
    Inviting: (
        RX_1XX @report_provisional @start_timer_ANSWER -> Proceeding            # RFC 3261 §13.2.2.1
      | RX_2XX @send_ack @report_answered @start_timer_KEEPALIVE -> Established # RFC 3261 §13.2.2.4
      | RX_2XX_FORK @send_ack @report_answered @start_timer_KEEPALIVE -> Established   # RFC 3261 §13.2.2.4, §12.1.2 (the session's dialog is the 2xx's)
      | RX_300_699 @note_failure @failover_or_give_up -> Inviting               # RFC 3261 §13.2.2.3, RFC 3263 §4.3 (a 503: the next target)
      | FAILOVER @send_invite_to_next_target -> Inviting                        # RFC 3263 §4.3 para 3
      | GIVE_UP @report_give_up -> Terminated                                   # RFC 3261 §13.2.2.3, §17.1.1.2, §17.1.4
      | AUTH_RETRY @send_invite_with_credentials -> Inviting                    # RFC 3261 §22.2
      | AUTH_FAILED @report_auth_failed -> Terminated                           # RFC 3261 §22.2
      | SE_RETRY @send_invite_again -> Inviting                                 # RFC 4028 §7.3, §7.4 (422: the INVITE again, CSeq + 1, with the 422's Min-SE)
      | TU_END -> CancelPending                                                 # RFC 3261 §9.1 (no CANCEL before a provisional)
      | TXN_TIMEOUT @note_failure @failover_or_give_up -> Inviting              # RFC 3261 §17.1.1.2 (Timer B), RFC 3263 §4.3
      | TRANSPORT_ERR @note_failure @failover_or_give_up -> Inviting            # RFC 3261 §17.1.4, RFC 3263 §4.3
    ),
    Proceeding: (
        RX_1XX @report_provisional -> Proceeding                                # RFC 3261 §13.2.2.1
      | RX_2XX @stop_timer_ANSWER @send_ack @report_answered @start_timer_KEEPALIVE -> Established   # RFC 3261 §13.2.2.4
      | RX_2XX_FORK @stop_timer_ANSWER @send_ack @report_answered @start_timer_KEEPALIVE -> Established  # RFC 3261 §13.2.2.4, §12.1.2 (not the early dialog's fork)
      | RX_300_699 @stop_timer_ANSWER @note_failure @failover_or_give_up -> Inviting   # RFC 3261 §13.2.2.3, RFC 3263 §4.3 (a 503: the next target)
      | AUTH_RETRY @stop_timer_ANSWER @send_invite_with_credentials -> Inviting # RFC 3261 §22.2
      | AUTH_FAILED @stop_timer_ANSWER @report_auth_failed -> Terminated        # RFC 3261 §22.2
      | SE_RETRY @stop_timer_ANSWER @send_invite_again -> Inviting              # RFC 4028 §7.3, §7.4
      | TU_END @stop_timer_ANSWER @send_cancel @start_timer_CANCEL -> Cancelling   # RFC 3261 §9.1
      | TIMER_ANSWER @send_cancel @start_timer_CANCEL -> AnswerTimedOut         # RFC 3261 §9.1 (the UAC gives up ringing)
      | TRANSPORT_ERR @stop_timer_ANSWER @note_failure @failover_or_give_up -> Inviting   # RFC 3261 §17.1.4, RFC 3263 §4.3
    ),
    CancelPending: (
        RX_1XX @send_cancel @start_timer_CANCEL -> Cancelling                   # RFC 3261 §9.1
      | RX_2XX @send_ack @send_bye -> Terminating                               # RFC 3261 §15 (answered anyway: ACK, then BYE)
      | RX_2XX_FORK @send_ack @send_bye -> Terminating                          # RFC 3261 §15, §13.2.2.4
      | RX_300_699 @report_cancelled -> Terminated                              # RFC 3261 §13.2.2.3
      | AUTH_RETRY @report_cancelled -> Terminated                              # RFC 3261 §22.2 (a challenge once ended: no retry)
      | AUTH_FAILED @report_cancelled -> Terminated                             # RFC 3261 §22.2 (a challenge once ended: no retry)
      | SE_RETRY @report_cancelled -> Terminated                                # RFC 4028 §7.3 (a 422 once ended: no retry)
      | TXN_TIMEOUT @report_cancelled -> Terminated                             # RFC 3261 §17.1.1.2 (Timer B)
      | TRANSPORT_ERR @report_transport_error -> Terminated                     # RFC 3261 §17.1.4
    ),
    Cancelling: (
        RX_1XX -> Cancelling                                                    # RFC 3261 §9.1
      | RX_2XX @stop_timer_CANCEL @send_ack @send_bye -> Terminating            # RFC 3261 §9.1, §15 (the 2xx raced the CANCEL)
      | RX_2XX_FORK @stop_timer_CANCEL @send_ack @send_bye -> Terminating       # RFC 3261 §9.1, §13.2.2.4 (another fork's 2xx raced the CANCEL)
      | RX_300_699 @stop_timer_CANCEL @report_cancelled -> Terminated           # RFC 3261 §9.1 (487)
      | AUTH_RETRY @stop_timer_CANCEL @report_cancelled -> Terminated           # RFC 3261 §9.1, §22.2 (a challenge once cancelled: no retry)
      | AUTH_FAILED @stop_timer_CANCEL @report_cancelled -> Terminated          # RFC 3261 §9.1, §22.2
      | SE_RETRY @stop_timer_CANCEL @report_cancelled -> Terminated             # RFC 3261 §9.1, RFC 4028 §7.3 (a 422 once cancelled: no retry)
      | TIMER_CANCEL @report_cancelled -> Terminated                            # RFC 3261 §9.1 (64*T1 without a final response)
      | TRANSPORT_ERR @stop_timer_CANCEL @report_transport_error -> Terminated   # RFC 3261 §17.1.4
    ),
    AnswerTimedOut: (
        RX_1XX -> AnswerTimedOut                                                # RFC 3261 §9.1
      | RX_2XX @stop_timer_CANCEL @send_ack @send_bye -> Terminating            # RFC 3261 §9.1, §15 (the 2xx raced the CANCEL)
      | RX_2XX_FORK @stop_timer_CANCEL @send_ack @send_bye -> Terminating       # RFC 3261 §9.1, §13.2.2.4 (another fork's 2xx raced the CANCEL)
      | RX_300_699 @stop_timer_CANCEL @report_answer_timeout -> Terminated      # RFC 3261 §9.1 (487)
      | AUTH_RETRY @stop_timer_CANCEL @report_answer_timeout -> Terminated      # RFC 3261 §9.1, §22.2 (a challenge once cancelled: no retry)
      | AUTH_FAILED @stop_timer_CANCEL @report_answer_timeout -> Terminated     # RFC 3261 §9.1, §22.2
      | SE_RETRY @stop_timer_CANCEL @report_answer_timeout -> Terminated        # RFC 3261 §9.1, RFC 4028 §7.3
      | TIMER_CANCEL @report_answer_timeout -> Terminated                       # RFC 3261 §9.1 (64*T1 without a final response)
      | TRANSPORT_ERR @stop_timer_CANCEL @report_transport_error -> Terminated   # RFC 3261 §17.1.4
    ),
    Established: (
        RX_2XX @ack_again -> Established                                        # RFC 3261 §13.2.2.4 (ACK every 2xx retransmission)
      | RX_2XX_FORK @end_fork -> Established                                    # RFC 3261 §13.2.2.4 (another fork's 2xx: ACK it, BYE on its dialog)
      | ANSWER_REFUSED @stop_timer_KEEPALIVE @send_bye -> Terminating           # RFC 3264 §6, RFC 6787 §4.2 (ACKed; an answer that does not fit ends the session)
      | TU_REQUEST @send_in_dialog_request -> Established                       # RFC 3261 §12.2.1.1 (OPTIONS, re-INVITE)
      | TIMER_KEEPALIVE @send_keepalive @restart_timer_KEEPALIVE -> Established # RFC 3261 §11, §12.2.1.1 (OPTIONS keep-alive)
      | TU_END @stop_timer_KEEPALIVE @report_ended_locally @send_bye -> Terminating   # RFC 3261 §15.1.1
      | SE_END @stop_timer_KEEPALIVE @report_timer_end @send_bye -> Terminating # RFC 4028 §10 (no refresh from the peer, or ours failed: BYE)
      | NO_ACK @stop_timer_KEEPALIVE @report_ack_timeout @send_bye -> Terminating # RFC 3261 §13.3.1.4 (no ACK for our 2xx: BYE)
      | RX_BYE @answer_200 @report_terminated_by_peer -> Terminated             # RFC 3261 §15.1.2
      | RX_481_408 @report_terminated -> Terminated                             # RFC 3261 §12.2.1.2
      | REQ_TIMEOUT @report_request_timeout -> Terminated                       # RFC 3261 §12.2.1.2 (no response at all)
    ),
    Terminating: (
        RX_BYE_RESPONSE -> Terminated                                           # RFC 3261 §15.1.1 (any final response ends the session)
      | RX_2XX_FORK @end_fork -> Terminating                                    # RFC 3261 §13.2.2.4 (another fork's 2xx: ACK it, BYE on its dialog)
      | RX_BYE @answer_200 -> Terminating                                       # RFC 3261 §15.1.2 (BYE crossed ours)
      | AUTH_RETRY @send_bye_with_credentials -> Terminating                    # RFC 3261 §22.2 (a challenged BYE goes again with credentials)
      | AUTH_FAILED -> Terminated                                               # RFC 3261 §22.2 (no credentials: the session is over anyway)
      | TXN_TIMEOUT @report_bye_unanswered -> Terminated                        # RFC 3261 §17.1.2.2 (Timer F)
      | TRANSPORT_ERR -> Terminated                                             # RFC 3261 §17.1.4
    ),
    Terminated: ( zlen )
  );
}%%
