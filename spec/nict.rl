# spec/nict.rl: the non-INVITE client transaction.
#
#@ title: Non-INVITE client transaction
#@ rfc: RFC 3261 §17.1.2 (Figure 6)
#@ final: Terminated
#@ actions: context=sipspec_tsx prefix=tsx_act_ in=runtime/src/session/tsx_run.c
#
# Over reliable transports Timer E is not started and Timer K is zero (§17.1.2.2).
#@ timer E: start=T1 backoff=double cap=T2 reliable=off   # RFC 3261 §17.1.2.2
#@ timer F: start=64*T1                                   # RFC 3261 §17.1.2.2
#@ timer K: start=T4 reliable=zero                        # RFC 3261 §17.1.2.2
#
#@ undefined * rx: ignore
#@ undefined * transport: ignore
#@ undefined * *: error

%%{
  machine nict;

  main := (
    start: Idle: (
        TU_SEND @send_request @start_timer_E @start_timer_F -> Trying          # RFC 3261 §17.1.2.2 para 1
    ),
    Trying: (
        TIMER_E @send_request @restart_timer_E -> Trying                       # RFC 3261 §17.1.2.2 para 2
      | TIMER_F @stop_timer_E @report_timeout -> Terminated                    # RFC 3261 §17.1.2.2 para 3
      | TRANSPORT_ERR @stop_timer_E @stop_timer_F @report_transport_error -> Terminated      # RFC 3261 §17.1.2.2 para 3
      | RX_1XX @pass_to_tu -> Proceeding                                       # RFC 3261 §17.1.2.2 para 2
      | RX_2XX @stop_timer_E @stop_timer_F @pass_to_tu @start_timer_K -> Completed          # RFC 3261 §17.1.2.2 para 4
      | RX_300_699 @stop_timer_E @stop_timer_F @pass_to_tu @start_timer_K -> Completed      # RFC 3261 §17.1.2.2 para 4
    ),
    Proceeding: (
        TIMER_E @send_request @start_timer_E_T2 -> Proceeding                 # RFC 3261 §17.1.2.2 para 3
      | RX_1XX @pass_to_tu -> Proceeding                                       # RFC 3261 §17.1.2.2 para 3
      | TIMER_F @stop_timer_E @report_timeout -> Terminated                    # RFC 3261 §17.1.2.2 para 3
      | TRANSPORT_ERR @stop_timer_E @stop_timer_F @report_transport_error -> Terminated      # RFC 3261 §17.1.2.2 para 3
      | RX_2XX @stop_timer_E @stop_timer_F @pass_to_tu @start_timer_K -> Completed          # RFC 3261 §17.1.2.2 para 4
      | RX_300_699 @stop_timer_E @stop_timer_F @pass_to_tu @start_timer_K -> Completed      # RFC 3261 §17.1.2.2 para 4
    ),
    Completed: (
        RX_2XX -> Completed                                                    # RFC 3261 §17.1.2.2 para 4: absorb retransmissions
      | RX_300_699 -> Completed                                                # RFC 3261 §17.1.2.2 para 4: absorb retransmissions
      | TIMER_K -> Terminated                                                  # RFC 3261 §17.1.2.2 para 4
    ),
    Terminated: ( zlen )
  );
}%%
