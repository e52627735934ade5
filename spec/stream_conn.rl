# spec/stream_conn.rl: one connection of a stream transport (TCP or TLS), from the first
# message queued for a peer (or the accept) to the socket's close.
#
# The transport keeps connections per peer and shares them between client and server
# transactions (RFC 3261 §18). A connection is Open while bytes wait for the socket and Idle
# when everything queued has been written; in Idle the IDLE timer runs from the last message
# sent or received, and when it fires we close our side (FIN) and wait, at most LINGER, for
# the peer's. Sends during Closing go on a new connection: a Closing connection has left the
# transport's table.
#
#@ title: Stream connection
#@ rfc: RFC 3261 §18 (connection management), §18.1.1, §18.2.2, §18.3, §18.4, §26.2.1 (TLS); RFC 5922 §7.3; RFC 5626 §4.4.1 (CRLF keep-alive)
#@ final: Closed
#@ actions: context=tcp_conn prefix=stream_act_ in=runtime/src/net/transport_tcp.c
#
# CONNECT bounds the connect; the transport sets it to its connect_timeout_ms (RFC 3261
# §18.4: a connection failure is reported to the transport user).
#@ timer CONNECT: start=64*T1                             # RFC 3261 §17.1.1.2 (a request gives up after 64*T1)
# IDLE: RFC 3261 §18 recommends keeping a connection open at least 64*T1 after the last
# message sent or received. The transport's default sets it out of reach (connections are
# closed by the peer or an error only, as before); MRCP_SIP_IDLE_TIMEOUT_MS sets it for
# accepted connections (docs/limits.md), which close only when no transaction uses them.
#@ timer IDLE: start=64*T1                                # RFC 3261 §18 (at least 64*T1 after the last message)
# HANDSHAKE bounds a TLS handshake; the transport sets it to MRCP_SIP_TLS_HANDSHAKE_MS.
#@ timer HANDSHAKE: start=64*T1                           # RFC 3261 §17.1.1.2 (bounded as a request is)
# PING: RFC 5626 §4.4.1 keep-alive on a connection we opened, after this long idle; the
# transport sets MRCP_SIP_KEEPALIVE_MS and turns it off when that is 0 (the default) and on
# connections the peer opened. PONG: the RFC's 10 seconds for the pong.
#@ timer PING: start=64*T1                                # RFC 5626 §4.4.1 (the interval is the UA's choice)
#@ timer PONG: start=10000ms                              # RFC 5626 §4.4.1 (no pong within 10 seconds: the flow has failed)
# LINGER: after our FIN, how long the peer has to close its side before we drop the socket:
# T4, the longest a message stays in the network.
#@ timer LINGER: start=T4                                 # RFC 3261 §17.1.2.2 (T4)
# MESSAGE: a message must arrive whole within this bound after its first byte, or the sender
# is a slow one (a "slowloris" holding the connection with a header dribbled byte by byte) and
# the connection is closed and reported. The transport sets MRCP_SIP_MESSAGE_TIMEOUT_MS. The
# transport posts CONN_PARTIAL when the bytes read leave a new message begun but not whole,
# CONN_WHOLE when they leave nothing begun (docs/limits.md).
#@ timer MESSAGE: start=64*T1                             # RFC 3261 §18.3 (framing), §26.1.5 (denial of service)
#
# Bytes arriving after we closed our side are discarded (the peer will retry on a new
# connection); more bytes queued while a write is in progress wait for it. A stray
# completion or error after the end is ignored.
#@ undefined Closing CONN_RX: ignore
#@ undefined Connecting CONN_PENDING: ignore
#@ undefined Open CONN_PENDING: ignore
#@ undefined Handshaking CONN_PENDING: ignore
# A pong that comes late (after data already proved the flow alive) is dropped, as is the
# completion of our ping's write while we wait for its pong.
#@ undefined * CONN_PONG: ignore
#@ undefined Pinging CONN_SENT: ignore
#@ undefined * *: error

%%{
  machine stream_conn;

  main := (
    start: New: (
        CONN_PENDING @start_timer_CONNECT @connect -> Connecting                # RFC 3261 §18 (a connection opened for a message to a peer)
      | CONN_UP @watch_read @start_timer_IDLE -> Idle                           # RFC 3261 §18 (a connection accepted, indexed by its source)
      | CONN_UP_TLS @start_timer_HANDSHAKE @watch_read @handshake -> Handshaking  # RFC 3261 §26.2.1 (a TLS connection accepted: the server's handshake)
    ),
    # A TLS connection (RFC 3261 §26.2.1, RFC 5630) is a TCP connection that handshakes before
    # it carries SIP: what was queued meanwhile goes once the peer passed the checks.
    Connecting: (
        CONN_UP @stop_timer_CONNECT @watch_read @flush -> Open                  # RFC 3261 §18.1.1 (the queued request goes once connected)
      | CONN_UP_TLS @stop_timer_CONNECT @start_timer_HANDSHAKE @watch_read @handshake -> Handshaking  # RFC 3261 §26.2.1 (TLS over the connection, RFC 5630 §3.1)
      | CONN_REFUSED @stop_timer_CONNECT @report_error @drop -> Closed          # RFC 3261 §18.4 (connection failure: inform the transport user)
      | TIMER_CONNECT @report_connect_timeout @drop -> Closed                   # RFC 3261 §18.4 (connection failure: inform the transport user)
    ),
    Handshaking: (
        TLS_DONE @stop_timer_HANDSHAKE @report_handshake @flush -> Open         # RFC 5922 §7.3 (the server is authenticated for the domain)
      | TLS_FAILED @stop_timer_HANDSHAKE @report_tls_failure @drop -> Closed   # RFC 5922 §7.3 (not authenticated: close the connection immediately)
      | TIMER_HANDSHAKE @report_handshake_timeout @drop -> Closed               # RFC 3261 §18.4 (connection failure: inform the transport user)
    ),
    Open: (
        CONN_SENT @start_timer_IDLE @start_timer_PING -> Idle                   # RFC 3261 §18 (kept open after the last message sent), RFC 5626 §4.4.1
      | CONN_RX @deliver -> Open                                                # RFC 3261 §18.3 (the stream framed into messages)
      | CONN_PARTIAL @start_timer_MESSAGE -> Open                               # RFC 3261 §18.3, §26.1.5 (a message begun: its bound runs)
      | CONN_WHOLE @stop_timer_MESSAGE -> Open                                  # RFC 3261 §18.3 (the message is whole)
      | TIMER_MESSAGE @report_slow_sender @drop -> Closed                       # RFC 3261 §26.1.5 (a slow sender: the connection is closed)
      | CONN_EOF @report_closed_by_peer @drop -> Closed                         # RFC 3261 §18.4 (the peer closed: queued bytes cannot go)
      | CONN_RESET @report_error @drop -> Closed                                # RFC 3261 §18.4 (reset, read failure or unframeable bytes)
      | TRANSPORT_ERR @report_error @drop -> Closed                             # RFC 3261 §18.4 (a write failed)
    ),
    # CRLF keep-alive (RFC 5626 §4.4.1): in Idle the PING timer sends the double-CRLF ping and
    # enters Pinging; the single-CRLF pong (or any message) returns to Idle, and no pong within
    # 10 s ends the flow (Closed, reported). A peer's ping is answered outside the chart (a
    # pong is queued like any message).
    # When IDLE runs out, the transport asks whether a transaction still uses the connection
    # (check_idle): CONN_IDLE_BUSY keeps it another IDLE, CONN_IDLE_FREE closes it.
    Idle: (
        CONN_PENDING @stop_timer_IDLE @stop_timer_PING @flush -> Open           # RFC 3261 §18.1.1, §18.2.2 (the connection is reused)
      | CONN_RX @deliver @start_timer_IDLE @start_timer_PING -> Idle            # RFC 3261 §18 (kept open after the last message received)
      | TIMER_IDLE @check_idle -> Idle                                          # RFC 3261 §18 (an implementation-defined idle time: is the connection still needed?)
      | CONN_IDLE_BUSY @start_timer_IDLE -> Idle                                # RFC 3261 §18 (kept open as long as a transaction needs it)
      | CONN_IDLE_FREE @stop_timer_PING @stop_timer_MESSAGE @shutdown @start_timer_LINGER -> Closing  # RFC 3261 §18 (closed after an implementation-defined idle time)
      | CONN_PARTIAL @start_timer_MESSAGE -> Idle                               # RFC 3261 §18.3, §26.1.5 (a message begun: its bound runs)
      | CONN_WHOLE @stop_timer_MESSAGE -> Idle                                  # RFC 3261 §18.3 (the message is whole)
      | TIMER_MESSAGE @stop_timer_IDLE @stop_timer_PING @report_slow_sender @drop -> Closed  # RFC 3261 §26.1.5 (a slow sender: the connection is closed)
      | CONN_EOF @stop_timer_IDLE @stop_timer_PING @report_closed_by_peer @drop -> Closed  # RFC 3261 §18.2.2 (the peer closed; a later message opens a new one)
      | CONN_RESET @stop_timer_IDLE @stop_timer_PING @report_error @drop -> Closed  # RFC 3261 §18.4 (reset, read failure or unframeable bytes)
      | TIMER_PING @send_ping @start_timer_PONG -> Pinging                      # RFC 5626 §4.4.1 (the client sends a double-CRLF ping)
    ),
    Pinging: (
        CONN_PONG @stop_timer_PONG @start_timer_PING -> Idle                    # RFC 5626 §4.4.1 (the pong: the flow is alive)
      | CONN_RX @stop_timer_PONG @deliver @start_timer_IDLE @start_timer_PING -> Idle  # RFC 5626 §4.4.1 (a message proves the flow alive too)
      | CONN_PENDING @stop_timer_PONG @stop_timer_IDLE @flush -> Open           # RFC 3261 §18.1.1 (a message to send; its response will tell)
      | TIMER_PONG @stop_timer_IDLE @report_keepalive_timeout @drop -> Closed    # RFC 5626 §4.4.1 (no pong within 10 seconds: the flow has failed)
      | TIMER_IDLE @stop_timer_PONG @stop_timer_MESSAGE @shutdown @start_timer_LINGER -> Closing  # RFC 3261 §18 (closed after an implementation-defined idle time)
      | TIMER_MESSAGE @stop_timer_PONG @stop_timer_IDLE @report_slow_sender @drop -> Closed  # RFC 3261 §26.1.5 (a slow sender: the connection is closed)
      | CONN_EOF @stop_timer_PONG @stop_timer_IDLE @report_closed_by_peer @drop -> Closed  # RFC 3261 §18.2.2 (the peer closed)
      | CONN_RESET @stop_timer_PONG @stop_timer_IDLE @report_error @drop -> Closed  # RFC 3261 §18.4 (reset or read failure)
      | TRANSPORT_ERR @stop_timer_PONG @stop_timer_IDLE @report_error @drop -> Closed  # RFC 3261 §18.4 (the ping could not be written)
    ),
    Closing: (
        CONN_EOF @stop_timer_LINGER @drop -> Closed                             # RFC 3261 §18 (the peer closed its side too)
      | CONN_RESET @stop_timer_LINGER @drop -> Closed                           # RFC 3261 §18 (nothing was pending: not reported)
      | TIMER_LINGER @drop -> Closed                                            # RFC 3261 §17.1.2.2 (T4 without the peer's FIN)
    ),
    Closed: ( zlen )
  );
}%%
