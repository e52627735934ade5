#! expect: unreachable\.rl:[0-9]+: error: chart 'unreachable', state 'Orphan': unreachable
# A chart that must not build: a state no event path reaches
#@ title: bad chart unreachable
#@ rfc: none (test input)
#@ final: Terminated
#@ timer B: start=64*T1
%%{
  machine unreachable;
  main := (
    start: Idle: ( TU_SEND @start_timer_B -> Calling    # RFC 3261 §17.1.1.2
    ),
    Calling: ( TIMER_B -> Terminated                       # RFC 3261 §17.1.1.2
    ),
    Orphan: ( TIMER_B -> Terminated                        # RFC 3261 §17.1.1.2
    ),
    Terminated: ( zlen )
  );
}%%
