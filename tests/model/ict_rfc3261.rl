# tests/model/ict_rfc3261.rl: the INVITE client transaction as RFC 3261 had it before RFC 6026:
# a 2xx ends the transaction at once (RFC 3261 §17.1.1.2 para 4, Figure 5). Test data for the
# model check (tests/model/invite.model), which must find the flaw RFC 6026 corrected; not a chart
# of the library.
#
#@ title: INVITE client transaction
#@ rfc: RFC 3261 §17.1.1 (Figure 5) before RFC 6026
#@ final: Terminated
#
# Timers (RFC 3261 Table 4). Over reliable transports Timer A is not started and Timer D is
# zero (§17.1.1.2). No Timer M and no Accepted state: RFC 6026 §7.2 added them.
#@ timer A: start=T1 backoff=double reliable=off   # RFC 3261 §17.1.1.2
#@ timer B: start=64*T1                                 # RFC 3261 §17.1.1.2
#@ timer D: start=32000ms reliable=zero                 # RFC 3261 §17.1.1.2, at least 32 s
#
# Responses the chart does not name in a state are stray retransmissions: ignored.
# Anything else the chart does not name is a bug in the caller: refused.
#@ undefined * rx: ignore
#@ undefined * transport: ignore
#@ undefined * *: error

%%{
  machine ict_rfc3261;

  main := (
    start: Idle: (
        TU_SEND @send_request @start_timer_A @start_timer_B -> Calling         # RFC 3261 §17.1.1.2 para 1
    ),
    Calling: (
        TIMER_A @send_request @restart_timer_A -> Calling                      # RFC 3261 §17.1.1.2 para 2
      | TIMER_B @stop_timer_A @report_timeout -> Terminated                    # RFC 3261 §17.1.1.2 para 3
      | RX_1XX @stop_timer_A @stop_timer_B @pass_to_tu -> Proceeding           # RFC 3261 §17.1.1.2 para 4
      | RX_2XX @stop_timer_A @stop_timer_B @pass_to_tu -> Terminated                # RFC 3261 §17.1.1.2 para 4
      | RX_300_699 @stop_timer_A @stop_timer_B @send_ack @pass_to_tu @start_timer_D -> Completed  # RFC 3261 §17.1.1.2 para 5
      | TRANSPORT_ERR @stop_timer_A @stop_timer_B @report_transport_error -> Terminated       # RFC 3261 §17.1.1.2, §17.1.4
    ),
    Proceeding: (
        RX_1XX @pass_to_tu -> Proceeding                                       # RFC 3261 §17.1.1.2 para 4
      | RX_2XX @pass_to_tu -> Terminated                                       # RFC 3261 §17.1.1.2 para 4
      | RX_300_699 @send_ack @pass_to_tu @start_timer_D -> Completed           # RFC 3261 §17.1.1.2 para 5
      | TRANSPORT_ERR @report_transport_error -> Terminated                    # RFC 3261 §17.1.4
    ),
    Completed: (
        RX_300_699 @send_ack -> Completed                                      # RFC 3261 §17.1.1.2 para 6
      | TIMER_D -> Terminated                                                  # RFC 3261 §17.1.1.2 para 6
      | TRANSPORT_ERR @stop_timer_D @report_transport_error -> Terminated      # RFC 3261 §17.1.1.2 para 6
    ),
    Terminated: ( zlen )
  );
}%%
