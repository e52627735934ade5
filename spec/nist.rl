# spec/nist.rl: the non-INVITE server transaction.
#
#@ title: Non-INVITE server transaction
#@ rfc: RFC 3261 §17.2.2 (Figure 8)
#@ final: Terminated
#@ actions: context=sipspec_tsx prefix=tsx_act_ in=runtime/src/session/tsx_run.c
#
# Over reliable transports Timer J is zero (§17.2.2).
#@ timer J: start=64*T1 reliable=zero                     # RFC 3261 §17.2.2
#
# In Trying nothing has been sent yet: the transaction waits for its TU's response.
#@ waits Trying: the TU owes the request a response; nothing has been sent that could fail (RFC 3261 §17.2.2)
#
# Final responses the TU passes in Completed MUST be discarded (§17.2.2): ignored.
#@ undefined Completed tu: ignore
#@ undefined * rx: ignore
#@ undefined * transport: ignore
#@ undefined * *: error

%%{
  machine nist;

  main := (
    start: Idle: (
        RX_REQUEST @pass_to_tu -> Trying                                       # RFC 3261 §17.2.2 para 1
    ),
    Trying: (
        RX_REQUEST -> Trying                                                   # RFC 3261 §17.2.2 para 1: discard retransmissions
      | TU_1XX @send_response -> Proceeding                                    # RFC 3261 §17.2.2 para 2
      | TU_2XX @send_response @start_timer_J -> Completed                      # RFC 3261 §17.2.2 para 2
      | TU_300_699 @send_response @start_timer_J -> Completed                  # RFC 3261 §17.2.2 para 2
    ),
    Proceeding: (
        TU_1XX @send_response -> Proceeding                                    # RFC 3261 §17.2.2 para 2
      | RX_REQUEST @resend_last_response -> Proceeding                         # RFC 3261 §17.2.2 para 2
      | TU_2XX @send_response @start_timer_J -> Completed                      # RFC 3261 §17.2.2 para 2
      | TU_300_699 @send_response @start_timer_J -> Completed                  # RFC 3261 §17.2.2 para 2
      | TRANSPORT_ERR @report_transport_error -> Terminated                    # RFC 3261 §17.2.2 para 3, §17.2.4
    ),
    Completed: (
        RX_REQUEST @resend_last_response -> Completed                          # RFC 3261 §17.2.2 para 3
      | TIMER_J -> Terminated                                                  # RFC 3261 §17.2.2 para 3
      | TRANSPORT_ERR @stop_timer_J @report_transport_error -> Terminated      # RFC 3261 §17.2.2 para 3, §17.2.4
    ),
    Terminated: ( zlen )
  );
}%%
