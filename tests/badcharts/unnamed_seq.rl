#! expect: unnamed_seq\.rl:[0-9]+: error: chart 'unnamed_seq', state 'Idle': unnamed state: 'RX_1XX RX_2XX' is a sequence
# A chart that must not build: two events in a row pass through a state with no name
#@ title: bad chart unnamed_seq
#@ rfc: none (test input)
#@ final: Terminated

%%{
  machine unnamed_seq;
  main := (
    start: Idle: ( RX_1XX RX_2XX -> Terminated           # RFC 3261 §17.1.1.2
                 | TRANSPORT_ERR -> Terminated              # RFC 3261 §17.1.4
    ),
    Terminated: ( zlen )
  );
}%%
