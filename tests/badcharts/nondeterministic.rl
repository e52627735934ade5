#! expect: nondeterministic\.rl:[0-9]+: error: chart 'nondeterministic', state 'Idle': two transitions on TRANSPORT_ERR
# A chart that must not build: the same event twice from one state
#@ title: bad chart nondeterministic
#@ rfc: none (test input)
#@ final: Terminated

%%{
  machine nondeterministic;
  main := (
    start: Idle: ( TRANSPORT_ERR -> Terminated            # RFC 3261 §17.1.4
                 | TRANSPORT_ERR -> Idle                    # RFC 3261 §17.1.4
    ),
    Terminated: ( zlen )
  );
}%%
