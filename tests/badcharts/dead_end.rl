#! expect: dead_end\.rl:[0-9]+: error: chart 'dead_end', state 'Stuck': a state with no transitions that is not the final state
# A chart that must not build: a second empty state
#@ title: bad chart dead_end
#@ rfc: none (test input)
#@ final: Terminated

%%{
  machine dead_end;
  main := (
    start: Idle: ( TRANSPORT_ERR -> Terminated            # RFC 3261 §17.1.4
                 | RX_2XX -> Stuck                          # RFC 3261 §17.1.4
    ),
    Stuck: ( zlen ),
    Terminated: ( zlen )
  );
}%%
