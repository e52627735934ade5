#! expect: unhandled_limit\.rl:[0-9]+: error: chart 'unhandled_limit': timer A has a limit but no transition handles TIMER_A_LIMIT
# A chart that must not build: a timer with a limit whose limit event nothing handles
#@ title: bad chart unhandled_limit
#@ rfc: none (test input)
#@ final: Terminated
#@ timer A: start=T1 limit=set   # RFC 3261 §17.1.1.2

%%{
  machine unhandled_limit;
  main := (
    start: Idle: ( TU_SEND @start_timer_A -> Calling      # RFC 3261 §17.1.1.2
    ),
    Calling: ( TIMER_A -> Terminated                      # RFC 3261 §17.1.1.2
    ),
    Terminated: ( zlen )
  );
}%%
