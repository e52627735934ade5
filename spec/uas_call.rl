# spec/uas_call.rl: one incoming INVITE's call at the embedded MRCPv2 server (UAS), from the
# INVITE it accepted to the end of the dialog it formed: ringing, the answer sent again until
# its ACK, the session, and every way it ends (CANCEL, rejection, BYE either way, no ACK).
#
# The dialog itself (id, route set, CSeq numbers, the BYE it builds) is spec/dialog.rl; the
# call feeds it the responses it sends and the requests that match it. States before a 1xx
# with our tag went out (Received, Cancelled) have no dialog; those after it (Ringing,
# CancelledEarly) an early one; from the 2xx on a confirmed one (RFC 3261 §12.1.1).
#
# What the server's knobs decide (ring_count 180s, ring_interval_ms apart, then 200 or the
# reject_status) is data: send_progress sends the response they plan for this step and posts
# which one went out (TU_1XX, TU_2XX, TU_300_699) or SEND_FAILED; the chart decides what
# that response does to the call.
#
#@ title: UAS call (MRCPv2 server)
#@ rfc: RFC 3261 §13.3 (UAS INVITE), §9.2 (CANCEL), §15 (BYE), §13.3.1.4 (2xx until the ACK); RFC 6787 §4
#@ final: Terminated
#@ actions: context=srv_call prefix=call_act_ in=runtime/src/server/server_call.c
#
#@ timer STEP: start=0ms                                  # RFC 3261 §9.2 (the 487 after the 200 to the CANCEL), §13.3.1.1
#@ timer RING: start=0ms                                  # RFC 3261 §13.3.1.1 (ring_interval_ms between 180s)
#@ timer BYE: start=1000ms                                # RFC 3261 §15 (bye_after_ms after the ACK; off when 0)
#@ timer EXPIRE: start=0ms                                # RFC 4028 §10 (SE - min(32 s, SE/3) without the client's refresh; set by take_interval)
#@ timer REFRESH: start=0ms                               # RFC 4028 §9 last para (half the interval; set by take_interval)
#
# The session timer (RFC 4028 §9): the 2xx says Session-Expires with a refresher (serve's
# --session-expires, --refresher) when the client supports it, and its ACK starts the timer
# of the refresher's role (start_session_timer posts RX_REFRESH_PEER or RX_REFRESH_US, the
# INVITE being the first session refresh request); take_interval gives EXPIRE and REFRESH
# their values from the interval last granted. Only a refresh answered 2xx moves the expiration (§10): the
# client's UPDATE or re-INVITE (RX_REFRESH) is answered first, and its 2xx posts
# RX_REFRESH_PEER (the client refreshes on) or RX_REFRESH_US (refresher=uas: the server
# does). When the server refreshes, REFRESH sends an UPDATE without an offer (the client's
# Allow lists UPDATE) or a re-INVITE with the server's SDP unchanged; the client's 2xx to it
# is SE_US / SE_PEER / SE_NONE as its Session-Expires says, 408, 481 or no answer end the
# session with BYE, another final response leaves the expiration where it was (§10).
# Either BYE says why in a Reason header (RFC 3326).
#
# An established session lasts as long as the client holds it, or until bye_after_ms.
#@ waits Established: the client holds the MRCP session until it sends BYE (RFC 6787 §4)
#
# A shutdown asked twice, or once our BYE is underway, changes nothing; so does the 2xx
# of a re-INVITE left without its ACK once our BYE is on its way.
#@ undefined * TU_END: ignore
#@ undefined Byeing NO_ACK: ignore
#@ undefined Byeing TXN_TIMEOUT: ignore
#@ undefined * rx: ignore
#@ undefined * transport: ignore
#@ undefined * *: error

%%{
  machine uas_call;

  main := (
    start: Idle: (
        TU_START @report_invited @start_timer_STEP -> Received                   # RFC 3261 §13.3.1
    ),
    Received: (
        TIMER_STEP @send_progress -> Received                                    # RFC 3261 §13.3.1.1
      | TU_1XX @dialog_180 @count_dialog @start_timer_RING -> Ringing            # RFC 3261 §13.3.1.1, §12.1.1 (a 1xx with our tag forms the early dialog)
      | TU_2XX @dialog_200 @count_dialog -> WaitAck                              # RFC 3261 §13.3.1.4, §12.1.1
      | TU_300_699 @report_rejected -> Terminated                                # RFC 3261 §13.3.1.3
      | SEND_FAILED @count_failed @report_ended -> Terminated                    # RFC 3261 §17.2.4
      | RX_CANCEL @stop_timer_STEP @start_timer_STEP -> Cancelled                # RFC 3261 §9.2 (487 once the CANCEL is answered)
      | TU_END @stop_timer_STEP @refuse_503 @report_ended -> Terminated          # RFC 3261 §21.5.4 (shutting down)
      | TRANSPORT_ERR @stop_timer_STEP @count_failed @report_ended -> Terminated # RFC 3261 §17.2.4
      | RX_BYE @refuse_bye -> Received                                           # RFC 3261 §15.1.2 (no dialog yet: 481)
      | RX_REQUEST @answer_500_retry -> Received                                 # RFC 3261 §14.2 (the INVITE is still pending)
      | RX_REFRESH @answer_500_retry -> Received                                 # RFC 3261 §14.2 (the INVITE is still pending)
    ),
    Cancelled: (
        TIMER_STEP @cancel_487 @report_ended -> Terminated                       # RFC 3261 §9.2
      | TU_END @stop_timer_STEP @refuse_503 @report_ended -> Terminated          # RFC 3261 §21.5.4 (shutting down)
      | TRANSPORT_ERR @stop_timer_STEP @count_failed @report_ended -> Terminated # RFC 3261 §17.2.4
      | RX_BYE @refuse_bye -> Cancelled                                          # RFC 3261 §15.1.2 (no dialog yet: 481)
      | RX_REQUEST @answer_500_retry -> Cancelled                                # RFC 3261 §14.2
      | RX_REFRESH @answer_500_retry -> Cancelled                                # RFC 3261 §14.2
    ),
    Ringing: (
        TIMER_RING @send_progress -> Ringing                                     # RFC 3261 §13.3.1.1
      | TU_1XX @dialog_180 @start_timer_RING -> Ringing                          # RFC 3261 §13.3.1.1
      | TU_2XX @dialog_200 -> WaitAck                                            # RFC 3261 §13.3.1.4
      | TU_300_699 @report_rejected @end_early_dialog -> Terminated              # RFC 3261 §13.3.1.3, §12.3 (a non-2xx final ends the early dialog)
      | SEND_FAILED @count_failed @end_early_dialog -> Terminated                # RFC 3261 §17.2.4, §12.3
      | RX_CANCEL @stop_timer_RING @start_timer_STEP -> CancelledEarly           # RFC 3261 §9.2
      | TU_END @stop_timer_RING @refuse_503 @end_early_dialog -> Terminated      # RFC 3261 §21.5.4, §12.3
      | TRANSPORT_ERR @stop_timer_RING @count_failed @dialog_transport_error -> Terminated   # RFC 3261 §17.2.4
      | RX_BYE @stop_timer_RING @answer_bye @count_failed @respond_487 -> Terminated       # RFC 3261 §15, §15.1.2 (early BYE: 487 to the INVITE)
      | RX_REQUEST @answer_500_retry -> Ringing                                  # RFC 3261 §14.2
      | RX_REFRESH @answer_500_retry -> Ringing                                  # RFC 3261 §14.2
    ),
    CancelledEarly: (
        TIMER_STEP @cancel_487 @end_early_dialog -> Terminated                   # RFC 3261 §9.2, §12.3
      | TU_END @stop_timer_STEP @refuse_503 @end_early_dialog -> Terminated      # RFC 3261 §21.5.4, §12.3
      | TRANSPORT_ERR @stop_timer_STEP @count_failed @dialog_transport_error -> Terminated  # RFC 3261 §17.2.4
      | RX_BYE @stop_timer_STEP @answer_bye @count_failed @respond_487 -> Terminated        # RFC 3261 §15, §15.1.2
      | RX_REQUEST @answer_500_retry -> CancelledEarly                           # RFC 3261 §14.2
      | RX_REFRESH @answer_500_retry -> CancelledEarly                           # RFC 3261 §14.2
    ),
    WaitAck: (
        RX_ACK @pass_ack @report_established @start_timer_BYE @start_session_timer -> Established  # RFC 3261 §13.3.1.4, RFC 4028 §9 (the INVITE's 2xx is the first refresh: RX_REFRESH_PEER or _US)
      | NO_ACK @count_failed @end_status_408 @route_bye -> Byeing                # RFC 3261 §13.3.1.4 (64*T1 without the ACK: BYE)
      | TU_END -> AckThenBye                                                     # RFC 3261 §15 (no BYE before the ACK of our 2xx)
      | RX_BYE @count_failed @answer_bye -> Terminated                           # RFC 3261 §15.1.2 (BYE before the ACK: never established)
      | RX_REQUEST @dialog_request -> WaitAck                                    # RFC 3261 §12.2.2, §14.2
      | RX_REFRESH @dialog_request -> WaitAck                                    # RFC 3261 §12.2.2, §14.2 (no session to refresh yet)
    ),
    AckThenBye: (
        RX_ACK @pass_ack @report_established @route_bye -> Byeing                # RFC 3261 §15, §13.3.1.4
      | NO_ACK @count_failed @end_status_408 @route_bye -> Byeing                # RFC 3261 §15 (or until the server transaction times out)
      | RX_BYE @count_failed @answer_bye -> Terminated                           # RFC 3261 §15.1.2
      | RX_REQUEST @dialog_request -> AckThenBye                                 # RFC 3261 §12.2.2
      | RX_REFRESH @dialog_request -> AckThenBye                                 # RFC 3261 §12.2.2
    ),
    Established: (
        RX_ACK @pass_ack -> Established                                          # RFC 3261 §13.3.1.4 (the ACK of a re-INVITE's 2xx)
      | RX_REQUEST @dialog_request -> Established                                # RFC 3261 §12.2.2, §14.2 (OPTIONS, re-INVITE)
      | RX_REFRESH @dialog_request -> Established                                # RFC 3311 §5.2, RFC 4028 §10 (answered first: only its 2xx refreshes)
      | RX_REFRESH_PEER @stop_timer_EXPIRE @stop_timer_REFRESH @take_interval @start_timer_EXPIRE -> Established  # RFC 4028 §9, §10 (our 2xx to the client's refresh, refresher=uac)
      | RX_REFRESH_US @stop_timer_EXPIRE @stop_timer_REFRESH @take_interval @start_timer_REFRESH -> Established    # RFC 4028 §9 Table 2 (our 2xx says refresher=uas: we refresh)
      | TIMER_REFRESH @send_refresh -> Established                               # RFC 4028 §9 last para, §10, RFC 3311 §5.1 (UPDATE without an offer, else re-INVITE with our SDP unchanged)
      | SE_US @stop_timer_EXPIRE @stop_timer_REFRESH @take_interval @count_refresh @start_timer_REFRESH -> Established   # RFC 4028 §7.2, §10 (the 2xx to our refresh: we refresh on)
      | SE_PEER @stop_timer_EXPIRE @stop_timer_REFRESH @take_interval @count_refresh @start_timer_EXPIRE -> Established  # RFC 4028 §7.2, §10 (the 2xx to our refresh says refresher=uas: the client refreshes)
      | SE_NONE @stop_timer_EXPIRE @stop_timer_REFRESH @drop_interval @count_refresh -> Established                      # RFC 4028 §7.2 (no Session-Expires in the 2xx: no expiration)
      | RX_300_699 @keep_expiration @start_timer_EXPIRE -> Established           # RFC 4028 §10 (not refreshed: the expiration has not moved; BYE before it)
      | RX_481_408 @stop_timer_BYE @stop_timer_EXPIRE @refresh_failed @route_bye -> Byeing   # RFC 4028 §10, RFC 3261 §12.2.1.2 (BYE)
      | TXN_TIMEOUT @stop_timer_BYE @stop_timer_EXPIRE @refresh_failed @route_bye -> Byeing  # RFC 4028 §10 (the refresh timed out: BYE)
      | NOT_SENT @stop_timer_BYE @stop_timer_EXPIRE @refresh_failed @route_bye -> Byeing     # RFC 4028 §10 (no refresh went out: BYE before the expiration)
      | TIMER_EXPIRE @stop_timer_BYE @stop_timer_REFRESH @count_expired @end_status_408 @route_bye -> Byeing   # RFC 4028 §10 (no refresh: BYE before the expiration, Reason: SIP;cause=408)
      | TIMER_BYE @stop_timer_EXPIRE @stop_timer_REFRESH @route_bye -> Byeing    # RFC 3261 §15.1.1 (bye_after_ms)
      | TU_END @stop_timer_BYE @stop_timer_EXPIRE @stop_timer_REFRESH @route_bye -> Byeing   # RFC 3261 §15.1.1 (shutting down)
      | NO_ACK @stop_timer_BYE @stop_timer_EXPIRE @stop_timer_REFRESH @end_status_408 @route_bye -> Byeing     # RFC 3261 §13.3.1.4 (a re-INVITE's 2xx without its ACK)
      | RX_BYE @stop_timer_BYE @stop_timer_EXPIRE @stop_timer_REFRESH @answer_bye -> Terminated  # RFC 3261 §15.1.2
    ),
    Byeing: (
        ROUTE_READY @send_bye -> Terminated                                      # RFC 3261 §15.1.1, RFC 3263 §4
      | RX_BYE @answer_bye -> Terminated                                         # RFC 3261 §15.1.2 (the client's BYE crossed ours)
      | RX_ACK @pass_ack -> Byeing                                               # RFC 3261 §13.3.1.4
      | RX_REQUEST @dialog_request -> Byeing                                     # RFC 3261 §12.2.2
      | RX_REFRESH @dialog_request -> Byeing                                     # RFC 3261 §12.2.2
    ),
    Terminated: ( zlen )
  );
}%%
