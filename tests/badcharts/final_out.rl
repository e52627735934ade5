#! expect: final_out\.rl:[0-9]+: error: chart 'final_out', state 'Terminated': a final state with outgoing transitions
# A chart that must not build: a final state that can be left
#@ title: bad chart final_out
#@ rfc: none (test input)
#@ final: Terminated

%%{
  machine final_out;
  main := (
    start: Idle: ( TRANSPORT_ERR -> Terminated            # RFC 3261 §17.1.4
    ),
    Terminated: ( TU_SEND -> Idle                          # RFC 3261 §17.1.4
    )
  );
}%%
