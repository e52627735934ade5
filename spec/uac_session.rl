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
    ),
    Inviting: (
        RX_1XX @report_provisional @start_timer_ANSWER -> Proceeding            # RFC 3261 §13.2.2.1
      | RX_2XX @send_ack @report_answered -> Established                        # RFC 3261 §13.2.2.4
      | RX_300_699 @report_failed -> Terminated                                 # RFC 3261 §13.2.2.3
      | AUTH_RETRY @send_invite_with_credentials -> Inviting                    # RFC 3261 §22.2
      | AUTH_FAILED @report_auth_failed -> Terminated                           # RFC 3261 §22.2
      | TU_END -> CancelPending                                                 # RFC 3261 §9.1 (no CANCEL before a provisional)
      | TXN_TIMEOUT @report_timeout -> Terminated                               # RFC 3261 §17.1.1.2 (Timer B)
      | TRANSPORT_ERR @report_transport_error -> Terminated                     # RFC 3261 §17.1.4
    ),
    Proceeding: (
        RX_1XX @report_provisional -> Proceeding                                # RFC 3261 §13.2.2.1
      | RX_2XX @stop_timer_ANSWER @send_ack @report_answered -> Established     # RFC 3261 §13.2.2.4
      | RX_300_699 @stop_timer_ANSWER @report_failed -> Terminated              # RFC 3261 §13.2.2.3
      | AUTH_RETRY @stop_timer_ANSWER @send_invite_with_credentials -> Inviting # RFC 3261 §22.2
      | AUTH_FAILED @stop_timer_ANSWER @report_auth_failed -> Terminated        # RFC 3261 §22.2
      | TU_END @stop_timer_ANSWER @send_cancel @start_timer_CANCEL -> Cancelling   # RFC 3261 §9.1
      | TIMER_ANSWER @send_cancel @start_timer_CANCEL -> Cancelling             # RFC 3261 §9.1
      | TRANSPORT_ERR @stop_timer_ANSWER @report_transport_error -> Terminated  # RFC 3261 §17.1.4
    ),
    CancelPending: (
        RX_1XX @send_cancel @start_timer_CANCEL -> Cancelling                   # RFC 3261 §9.1
      | RX_2XX @send_ack @send_bye -> Terminating                               # RFC 3261 §15 (answered anyway: ACK, then BYE)
      | RX_300_699 @report_cancelled -> Terminated                              # RFC 3261 §13.2.2.3
      | AUTH_FAILED @report_cancelled -> Terminated                             # RFC 3261 §22.2 (a challenge once ended: no retry)
      | TXN_TIMEOUT @report_cancelled -> Terminated                             # RFC 3261 §17.1.1.2 (Timer B)
      | TRANSPORT_ERR @report_transport_error -> Terminated                     # RFC 3261 §17.1.4
    ),
    Cancelling: (
        RX_1XX -> Cancelling                                                    # RFC 3261 §9.1
      | RX_2XX @stop_timer_CANCEL @send_ack @send_bye -> Terminating            # RFC 3261 §9.1, §15 (the 2xx raced the CANCEL)
      | RX_300_699 @stop_timer_CANCEL @report_cancelled -> Terminated           # RFC 3261 §9.1 (487)
      | TIMER_CANCEL @report_cancelled -> Terminated                            # RFC 3261 §9.1 (64*T1 without a final response)
      | TRANSPORT_ERR @stop_timer_CANCEL @report_transport_error -> Terminated   # RFC 3261 §17.1.4
    ),
    Established: (
        RX_2XX @send_ack -> Established                                         # RFC 3261 §13.2.2.4 (ACK every 2xx retransmission)
      | TU_REQUEST @send_in_dialog_request -> Established                       # RFC 3261 §12.2.1.1 (OPTIONS keep-alive, re-INVITE)
      | TU_END @send_bye -> Terminating                                         # RFC 3261 §15.1.1
      | RX_BYE @answer_200 @report_terminated_by_peer -> Terminated             # RFC 3261 §15.1.2
      | RX_481_408 @report_terminated -> Terminated                             # RFC 3261 §12.2.1.2
      | TXN_TIMEOUT @report_terminated -> Terminated                            # RFC 3261 §12.2.1.2 (no response at all)
    ),
    Terminating: (
        RX_2XX @report_bye_answered -> Terminated                               # RFC 3261 §15.1.1
      | RX_300_699 @report_bye_answered -> Terminated                           # RFC 3261 §15.1.1 (the session is over anyway)
      | RX_481_408 @report_bye_answered -> Terminated                           # RFC 3261 §12.2.1.2
      | RX_BYE @answer_200 -> Terminating                                       # RFC 3261 §15.1.2 (BYE crossed ours)
      | AUTH_RETRY @send_bye_with_credentials -> Terminating                    # RFC 3261 §22.2 (a challenged BYE goes again with credentials)
      | AUTH_FAILED @report_bye_answered -> Terminated                          # RFC 3261 §22.2 (no credentials: the session is over anyway)
      | TXN_TIMEOUT @report_bye_unanswered -> Terminated                        # RFC 3261 §17.1.2.2 (Timer F)
      | TRANSPORT_ERR @report_bye_unanswered -> Terminated                      # RFC 3261 §17.1.4
    ),
    Terminated: ( zlen )
  );
}%%
