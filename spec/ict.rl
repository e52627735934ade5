# spec/ict.rl: the INVITE client transaction.
#
#@ title: INVITE client transaction
#@ rfc: RFC 3261 §17.1.1 (Figure 5) as updated by RFC 6026 §7.2 and §8.4
#@ final: Terminated
#@ actions: context=sipspec_tsx prefix=tsx_act_ in=runtime/src/session/tsx_run.c
#
# Timers (RFC 3261 Table 4; RFC 6026 §8.4 for M). Over reliable transports Timer A is not
# started and Timer D is zero (§17.1.1.2). Timer A has a limit the transaction layer sets
# from MRCP_SIP_INVITE_MAX_RETRANS (the roadmap's bound on INVITE retransmissions): once
# Timer A has fired that many times, its next firing is TIMER_A_LIMIT, which ends the
# transaction as Timer B does.
#@ timer A: start=T1 backoff=double reliable=off limit=set   # RFC 3261 §17.1.1.2
#@ timer B: start=64*T1                                 # RFC 3261 §17.1.1.2
#@ timer D: start=32000ms reliable=zero                 # RFC 3261 §17.1.1.2, at least 32 s
#@ timer M: start=64*T1                                 # RFC 6026 §8.4
#
# Responses the chart does not name in a state are stray retransmissions: ignored.
# Anything else the chart does not name is a bug in the caller: refused.
#@ undefined * rx: ignore
#@ undefined * transport: ignore
#@ undefined * *: error

%%{
  machine ict;

  main := (
    start: Idle: (
        TU_SEND @send_request @start_timer_A @start_timer_B -> Calling         # RFC 3261 §17.1.1.2 para 1
    ),
    Calling: (
        TIMER_A @send_request @restart_timer_A -> Calling                      # RFC 3261 §17.1.1.2 para 2
      | TIMER_B @stop_timer_A @report_timeout -> Terminated                    # RFC 3261 §17.1.1.2 para 3
      | TIMER_A_LIMIT @stop_timer_A @stop_timer_B @report_timeout -> Terminated  # RFC 3261 §17.1.1.2 para 3, MRCP_SIP_INVITE_MAX_RETRANS
      | RX_1XX @stop_timer_A @stop_timer_B @pass_to_tu -> Proceeding           # RFC 3261 §17.1.1.2 para 4
      | RX_2XX @stop_timer_A @stop_timer_B @pass_to_tu @start_timer_M -> Accepted            # RFC 6026 §8.4
      | RX_300_699 @stop_timer_A @stop_timer_B @send_ack @pass_to_tu @start_timer_D -> Completed  # RFC 3261 §17.1.1.2 para 5
      | TRANSPORT_ERR @stop_timer_A @stop_timer_B @report_transport_error -> Terminated       # RFC 3261 §17.1.1.2, §17.1.4
    ),
    Proceeding: (
        RX_1XX @pass_to_tu -> Proceeding                                       # RFC 3261 §17.1.1.2 para 4
      | RX_2XX @pass_to_tu @start_timer_M -> Accepted                          # RFC 6026 §8.4
      | RX_300_699 @send_ack @pass_to_tu @start_timer_D -> Completed           # RFC 3261 §17.1.1.2 para 5
      | TRANSPORT_ERR @report_transport_error -> Terminated                    # RFC 3261 §17.1.4
    ),
    Completed: (
        RX_300_699 @send_ack -> Completed                                      # RFC 3261 §17.1.1.2 para 6
      | TIMER_D -> Terminated                                                  # RFC 3261 §17.1.1.2 para 6
      | TRANSPORT_ERR @stop_timer_D @report_transport_error -> Terminated      # RFC 3261 §17.1.1.2 para 6
    ),
    Accepted: (
        RX_2XX @pass_to_tu -> Accepted                                         # RFC 6026 §8.4
      | TIMER_M -> Terminated                                                  # RFC 6026 §8.4
    ),
    Terminated: ( zlen )
  );
}%%
