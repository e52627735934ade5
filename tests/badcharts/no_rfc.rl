#! expect: no_rfc\.rl:[0-9]+: error: chart 'no_rfc', state 'Idle': the transition on TRANSPORT_ERR has no RFC reference
# A chart that must not build: a transition nobody can trace to the RFC
#@ title: bad chart no_rfc
#@ rfc: none (test input)
#@ final: Terminated

%%{
  machine no_rfc;
  main := (
    start: Idle: ( TRANSPORT_ERR -> Terminated
    ),
    Terminated: ( zlen )
  );
}%%
