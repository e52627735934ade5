# tests/model/ist_rfc3261.rl: the INVITE server transaction as RFC 3261 had it before RFC 6026:
# passing a 2xx ends the transaction at once (RFC 3261 §17.2.1 para 3, Figure 7). Test data for
# the model check (tests/model/invite.model); not a chart of the library.
#
#@ title: INVITE server transaction
#@ rfc: RFC 3261 §17.2.1 (Figure 7) before RFC 6026
#@ final: Terminated
#
# No Accepted state and no Timer L: RFC 6026 §7.1 added them.
# Over reliable transports Timer G is not started and Timer I is zero (§17.2.1).
#@ timer G: start=T1 backoff=double cap=T2 reliable=off   # RFC 3261 §17.2.1
#@ timer H: start=64*T1                                   # RFC 3261 §17.2.1
#@ timer I: start=T4 reliable=zero                        # RFC 3261 §17.2.1
#
# A server transaction in Proceeding waits for its TU to answer; the transport error that
# sending the 100 (Trying) or a provisional response may report is its way out.
#@ undefined * rx: ignore
#@ undefined * transport: ignore
#@ undefined * *: error

%%{
  machine ist_rfc3261;

  main := (
    start: Idle: (
        RX_INVITE @pass_to_tu @send_100_trying -> Proceeding                   # RFC 3261 §17.2.1 para 1
    ),
    Proceeding: (
        RX_INVITE @resend_last_response -> Proceeding                          # RFC 3261 §17.2.1 para 2
      | TU_1XX @send_response -> Proceeding                                    # RFC 3261 §17.2.1 para 2
      | TU_2XX @send_response -> Terminated                                     # RFC 3261 §17.2.1 para 3
      | TU_300_699 @send_response @start_timer_G @start_timer_H -> Completed   # RFC 3261 §17.2.1 para 3
      | TRANSPORT_ERR @report_transport_error -> Terminated                    # RFC 3261 §17.2.1, §17.2.4
    ),
    Completed: (
        RX_INVITE @resend_last_response -> Completed                           # RFC 3261 §17.2.1 para 4
      | TIMER_G @resend_last_response @restart_timer_G -> Completed            # RFC 3261 §17.2.1 para 4
      | RX_ACK @stop_timer_G @stop_timer_H @start_timer_I -> Confirmed         # RFC 3261 §17.2.1 para 5
      | TIMER_H @stop_timer_G @report_timeout -> Terminated                    # RFC 3261 §17.2.1 para 4
      | TRANSPORT_ERR @stop_timer_G @stop_timer_H @report_transport_error -> Terminated     # RFC 3261 §17.2.1, §17.2.4
    ),
    Confirmed: (
        RX_ACK -> Confirmed                                                    # RFC 3261 §17.2.1 para 5: absorb ACKs
      | TIMER_I -> Terminated                                                  # RFC 3261 §17.2.1 para 5
    ),
    Terminated: ( zlen )
  );
}%%
