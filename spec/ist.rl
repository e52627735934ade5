# spec/ist.rl: the INVITE server transaction.
#
#@ title: INVITE server transaction
#@ rfc: RFC 3261 §17.2.1 (Figure 7) as updated by RFC 6026 §7.1 and §8.5-8.7
#@ final: Terminated
#@ actions: context=sipspec_tsx prefix=tsx_act_ in=runtime/src/session/tsx_run.c
#
# Over reliable transports Timer G is not started and Timer I is zero (§17.2.1).
#@ timer G: start=T1 backoff=double cap=T2 reliable=off   # RFC 3261 §17.2.1
#@ timer H: start=64*T1                                   # RFC 3261 §17.2.1
#@ timer I: start=T4 reliable=zero                        # RFC 3261 §17.2.1
#@ timer L: start=64*T1                                   # RFC 6026 §8.7
#
# A server transaction in Proceeding waits for its TU to answer. A transport error while
# sending a response is reported to the TU and changes no state (RFC 6026 §7.1, §8.8: "MUST
# remain in the current state", so that a retransmitted INVITE is absorbed, not taken for a new
# request): the model check found the RFC 3261 behaviour, Terminated at once, in this chart.
#@ waits Proceeding: the TU owes the INVITE a final response (RFC 3261 §17.2.1; RFC 6026 §8.8: a transport error does not end the transaction)
#@ undefined * rx: ignore
#@ undefined * transport: ignore
#@ undefined * *: error

%%{
  machine ist;

  main := (
    start: Idle: (
        RX_INVITE @pass_to_tu @send_100_trying -> Proceeding                   # RFC 3261 §17.2.1 para 1
    ),
    Proceeding: (
        RX_INVITE @resend_last_response -> Proceeding                          # RFC 3261 §17.2.1 para 2
      | TU_1XX @send_response -> Proceeding                                    # RFC 3261 §17.2.1 para 2
      | TU_2XX @send_response @start_timer_L -> Accepted                       # RFC 6026 §8.5
      | TU_300_699 @send_response @start_timer_G @start_timer_H -> Completed   # RFC 3261 §17.2.1 para 3
      | TRANSPORT_ERR @report_transport_error -> Proceeding                    # RFC 6026 §7.1, §8.8 (remain: INVITE retransmissions are still absorbed)
    ),
    Completed: (
        RX_INVITE @resend_last_response -> Completed                           # RFC 3261 §17.2.1 para 4
      | TIMER_G @resend_last_response @restart_timer_G -> Completed            # RFC 3261 §17.2.1 para 4
      | RX_ACK @stop_timer_G @stop_timer_H @start_timer_I -> Confirmed         # RFC 3261 §17.2.1 para 5
      | TIMER_H @stop_timer_G @report_timeout -> Terminated                    # RFC 3261 §17.2.1 para 4
      | TRANSPORT_ERR @report_transport_error -> Completed                     # RFC 6026 §7.1, §8.8 (remain: Timer H ends it; INVITE retransmissions are still absorbed)
    ),
    Confirmed: (
        RX_ACK -> Confirmed                                                    # RFC 3261 §17.2.1 para 5: absorb ACKs
      | TIMER_I -> Terminated                                                  # RFC 3261 §17.2.1 para 5
    ),
    Accepted: (
        RX_INVITE -> Accepted                                                  # RFC 6026 §8.7: absorb the INVITE
      | RX_ACK @pass_to_tu -> Accepted                                         # RFC 6026 §8.7: ACK goes to the TU
      | TU_2XX @send_response -> Accepted                                      # RFC 6026 §8.7: TU retransmits the 2xx
      | TRANSPORT_ERR @report_transport_error -> Accepted                      # RFC 6026 §8.7: inform the TU
      | TIMER_L -> Terminated                                                  # RFC 6026 §8.7
    ),
    Terminated: ( zlen )
  );
}%%
