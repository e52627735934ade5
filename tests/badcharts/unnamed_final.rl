#! expect: unnamed_final\.rl:[0-9]+: error: chart 'unnamed_final', state 'Idle': unnamed state: .-> final. enters Ragel's anonymous final state
# A chart that must not build: Ragel's anonymous final state
#@ title: bad chart unnamed_final
#@ rfc: none (test input)
#@ final: Terminated

%%{
  machine unnamed_final;
  main := (
    start: Idle: ( TRANSPORT_ERR -> final                 # RFC 3261 §17.1.4
    ),
    Terminated: ( zlen )
  );
}%%
