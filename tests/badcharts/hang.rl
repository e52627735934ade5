#! expect: hang\.rl:[0-9]+: error: chart 'hang', state 'Waiting': could hang forever
# A chart that must not build: a state only a peer's message can leave
#@ title: bad chart hang
#@ rfc: none (test input)
#@ final: Terminated

%%{
  machine hang;
  main := (
    start: Idle: ( TU_SEND -> Waiting                    # RFC 3261 §17.1.1.2
    ),
    Waiting: ( RX_2XX -> Terminated                        # RFC 3261 §17.1.1.2
    ),
    Terminated: ( zlen )
  );
}%%
