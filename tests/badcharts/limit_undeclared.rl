#! expect: limit_undeclared\.rl:[0-9]+: error: chart 'limit_undeclared': the chart reacts to TIMER_A_LIMIT but timer A declares no limit
# A chart that must not build: it handles a limit event its timer does not declare
#@ title: bad chart limit_undeclared
#@ rfc: none (test input)
#@ final: Terminated
#@ timer A: start=T1   # RFC 3261 §17.1.1.2

%%{
  machine limit_undeclared;
  main := (
    start: Idle: ( TU_SEND @start_timer_A -> Calling      # RFC 3261 §17.1.1.2
    ),
    Calling: ( TIMER_A -> Terminated                      # RFC 3261 §17.1.1.2
      | TIMER_A_LIMIT -> Terminated                       # RFC 3261 §17.1.1.2
    ),
    Terminated: ( zlen )
  );
}%%
