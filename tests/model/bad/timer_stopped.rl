#! expect: FAILED chart timer_stopped \(tests/model/bad/timer_stopped\.rl\): invalid end state \(deadlock\).* in state Waiting
# tests/model/bad/timer_stopped.rl: a broken chart, test data for model.charts (not a chart of
# the library). It passes the generator's own checks: Waiting has a timer transition to the
# final state. But the only way into Waiting stops that timer, so nothing can ever leave it:
# the model check must find the deadlock.
#@ title: bad chart timer_stopped
#@ rfc: none (test input)
#@ final: Terminated
#@ timer A: start=T1                                    # RFC 3261 §17.1.1.2
#@ undefined * rx: ignore
#@ undefined * *: error

%%{
  machine timer_stopped;
  main := (
    start: Idle: (
        TU_SEND @start_timer_A -> Calling                 # RFC 3261 §17.1.1.2
    ),
    Calling: (
        TIMER_A -> Terminated                             # RFC 3261 §17.1.1.2
      | RX_1XX @stop_timer_A -> Waiting                   # RFC 3261 §17.1.1.2 (the timer stops: nothing restarts it)
    ),
    Waiting: (
        TIMER_A -> Terminated                             # RFC 3261 §17.1.1.2
    ),
    Terminated: ( zlen )
  );
}%%
