#! expect: unknown_event\.rl:[0-9]+: error: chart 'unknown_event', state 'Idle': unknown event 'RX_3XX'
# A chart that must not build: an event spec/events.def does not declare
#@ title: bad chart unknown_event
#@ rfc: none (test input)
#@ final: Terminated

%%{
  machine unknown_event;
  main := (
    start: Idle: ( RX_3XX -> Terminated                  # RFC 3261 §17.1.1.2
    ),
    Terminated: ( zlen )
  );
}%%
