# spec/uas_2xx.rl: a UAS core's 2xx to an INVITE (or re-INVITE), sent again until its ACK.
#
# The INVITE server transaction sends a 2xx once (RFC 6026 §8.7); passing it to the transport
# again until the ACK is the UAS core's job, whatever the transport (RFC 3261 §13.3.1.4: "This
# is independent of whatever transport protocols are used to send the response", so neither
# timer has a `reliable=` rule). One machine lives through one 2xx: sipspec_uas_2xx_send()
# starts a fresh one. The copies leave T1, 2*T1, 4*T1 ... apart, capped at T2, each counted
# from when the previous one was due (the timer layer keeps the schedule exact); 64*T1 after
# the first copy the helper gives up and its owner ends the session with BYE.
#
#@ title: UAS 2xx to an INVITE sent again until its ACK
#@ rfc: RFC 3261 §13.3.1.4
#@ final: Terminated
#@ actions: context=sipspec_uas_2xx prefix=uas_2xx_act_ in=runtime/src/session/uas_2xx.c
#
# GIVEUP is declared first: a copy due at the very moment 64*T1 passes is not sent (the timer
# layer fires timers due at the same time in declaration order).
#@ timer GIVEUP: start=64*T1                            # RFC 3261 §13.3.1.4 para 6
#@ timer RESEND: start=T1 backoff=double cap=T2         # RFC 3261 §13.3.1.4 para 4
#
# An ACK with nothing pending is not ours (sipspec_uas_2xx_ack() answers 0); the owner may
# forget the 2xx (TU_END) at any time. Anything else the chart does not name is a bug.
#@ undefined * rx: ignore
#@ undefined * TU_END: ignore
#@ undefined * *: error

%%{
  machine uas_2xx;

  main := (
    start: Idle: (
        TU_2XX @send_2xx @start_timer_RESEND @start_timer_GIVEUP -> Sending              # RFC 3261 §13.3.1.4 para 4
    ),
    Sending: (
        TIMER_RESEND @resend_2xx @restart_timer_RESEND -> Sending                       # RFC 3261 §13.3.1.4 para 4
      | RX_ACK @stop_timer_RESEND @stop_timer_GIVEUP -> Terminated                      # RFC 3261 §13.3.1.4 para 4
      | TIMER_GIVEUP @stop_timer_RESEND @report_give_up -> Terminated                   # RFC 3261 §13.3.1.4 para 6
      | TU_END @stop_timer_RESEND @stop_timer_GIVEUP -> Terminated                      # RFC 3261 §13.3.1.4 para 4, §15
    ),
    Terminated: ( zlen )
  );
}%%
