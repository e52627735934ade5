#! expect: hang_loop\.rl:[0-9]+: error: chart 'hang_loop', state 'Calling': could hang forever
# A chart that must not build: a timer that only loops back, never out
#@ title: bad chart hang_loop
#@ rfc: none (test input)
#@ final: Terminated
#@ timer A: start=T1
%%{
  machine hang_loop;
  main := (
    start: Idle: ( TU_SEND @start_timer_A -> Calling     # RFC 3261 §17.1.1.2
    ),
    Calling: ( TIMER_A @restart_timer_A -> Calling         # RFC 3261 §17.1.1.2
             | RX_2XX -> Terminated                         # RFC 3261 §17.1.1.2
    ),
    Terminated: ( zlen )
  );
}%%
