#! expect: undeclared_timer\.rl:[0-9]+: error: chart 'undeclared_timer', state 'Idle': action 'start_timer_B' uses timer B, which the chart does not declare
# A chart that must not build: a timer action without its timer
#@ title: bad chart undeclared_timer
#@ rfc: none (test input)
#@ final: Terminated

%%{
  machine undeclared_timer;
  main := (
    start: Idle: ( TRANSPORT_ERR @start_timer_B -> Terminated   # RFC 3261 §17.1.4
    ),
    Terminated: ( zlen )
  );
}%%
