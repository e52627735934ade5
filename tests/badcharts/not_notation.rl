#! expect: not_notation\.rl:[0-9]+: error: '\*' is not part of the chart notation
# A chart that must not build: Ragel operators outside the chart notation
#@ title: bad chart not_notation
#@ rfc: none (test input)
#@ final: Terminated

%%{
  machine not_notation;
  main := (
    start: Idle: ( TRANSPORT_ERR* -> Terminated           # RFC 3261 §17.1.4
    ),
    Terminated: ( zlen )
  );
}%%
