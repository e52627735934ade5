# spec/session_timer.rl: the session timer of an MRCPv2 client (RFC 4028), beside the
# session's chart (spec/uac_session.rl) and its re-INVITEs (spec/uac_update.rl).
#
# The INVITE says Supported: timer and, when MRCP_SIP_SESSION_EXPIRES is not 0, asks for
# Session-Expires with Min-SE (RFC 4028 §7.1; without a refresher parameter, as §7.1
# recommends, so that the server chooses). A 422 with a Min-SE we can meet is answered by
# one more INVITE asking for that value (§7.3, §7.4); a second 422 ends the attempt (§10: not
# continuously). The 2xx decides who refreshes (§7.2): we do (refresher=uac), at half the
# interval, by UPDATE without an offer when the peer's Allow lists UPDATE, else by a
# re-INVITE with our current SDP unchanged, the same o= version (§7.4, RFC 3311); the peer
# does (refresher=uas), and without a refresh we send BYE at SE - min(32 s, SE/3) with
# Reason: SIP;cause=408 (§10); no Session-Expires: no expiration (§7.2).
#
# A refresh answered 408 or 481, or not at all, ends the session with BYE (§10, RFC 3261
# §12.2.1.2); 491 is sent once more after RFC 3261 §14.1's random wait, 503 with Retry-After
# after that wait (RFC 3261 §21.5.4), 422 at once asking for its larger Min-SE (§7.3, §10),
# 401/407 at once with credentials as other requests are (§10, RFC 3261 §22.2); one retry
# per refresh (RFC 4028 §10: not continuously). Other final responses end the session too:
# the session expiration has not moved (§10). The BYE that ends it says why in a Reason
# header (RFC 3326): the refresh's status, 408 without one.
#
# The peer's UPDATE or re-INVITE that we answer 200 refreshes the session (§7.2 last para,
# §10): its refresher parameter, if any, says who refreshes next (§9 Table 2), and a Min-SE
# larger than ours is kept for our later refreshes (§7.4).
#
#@ title: UAC session timer (RFC 4028)
#@ rfc: RFC 4028 §7 (UAC), §9 (UAS), §10 (refreshes); RFC 3311 (UPDATE); RFC 3261 §14.1
#@ final: Terminated
#@ actions: context=sipspec_session prefix=timer_act_ in=runtime/src/session/session_timer.c
#
#@ timer REFRESH: start=0ms                               # RFC 4028 §7.2 (half the session interval; the value is set before each start)
#@ timer EXPIRE: start=0ms                                # RFC 4028 §10 (SE - min(32 s, SE/3); set before each start)
#@ timer WAIT: start=0ms                                  # RFC 3261 §14.1 (491: 2.1..4 s), §21.5.4 (503 Retry-After); set before each start
#
#@ waits Untimed: no session timer was negotiated; the peer's refresh may start one (RFC 4028 §7.2, §9)
#
#@ undefined * rx: ignore
#@ undefined * transport: ignore
#@ undefined * *: error

%%{
  machine session_timer;

  main := (
    start: Idle: (
        SE_US @take_interval @start_timer_REFRESH -> Refreshing                 # RFC 4028 §7.2 (refresher=uac: we refresh at half the interval)
      | SE_PEER @take_interval @start_timer_EXPIRE -> Watching                  # RFC 4028 §7.2, §10 (refresher=uas: BYE before the expiration)
      | SE_NONE @take_no_interval -> Untimed                                    # RFC 4028 §7.2 (no Session-Expires: no session expiration)
      | RX_422 @raise_interval @invite_again -> Retried                         # RFC 4028 §7.3, §7.4 (the INVITE again with the 422's Min-SE)
      | TU_END -> Terminated                                                    # RFC 3261 §15 (the session ended before it was established)
    ),
    Retried: (
        SE_US @take_interval @start_timer_REFRESH -> Refreshing                 # RFC 4028 §7.2
      | SE_PEER @take_interval @start_timer_EXPIRE -> Watching                  # RFC 4028 §7.2, §10
      | SE_NONE @take_no_interval -> Untimed                                    # RFC 4028 §7.2
      | RX_422 @invite_refused -> Terminated                                    # RFC 4028 §10 (not continuously: the second 422 ends the attempt)
      | TXN_TIMEOUT -> Terminated                                               # RFC 3261 §17.1.1.2 (Timer B: the INVITE got no answer)
      | TU_END -> Terminated                                                    # RFC 3261 §15
    ),
    Refreshing: (
        TIMER_REFRESH @send_refresh -> RefreshSent                              # RFC 4028 §7.2, §7.4 (UPDATE without an offer when allowed, else re-INVITE, same o=), §10
      | RX_REFRESH @stop_timer_REFRESH @answer_we_refresh @start_timer_REFRESH -> Refreshing      # RFC 4028 §10, §9 (the peer's refresh; we stay the refresher)
      | RX_REFRESH_US @stop_timer_REFRESH @answer_we_refresh @start_timer_REFRESH -> Refreshing   # RFC 4028 §9 Table 2 (refresher=uas)
      | RX_REFRESH_PEER @stop_timer_REFRESH @answer_peer_refreshes @start_timer_EXPIRE -> Watching  # RFC 4028 §9 Table 2 (refresher=uac: the peer refreshes)
      | TU_END @stop_timer_REFRESH -> Terminated                                # RFC 3261 §15
    ),
    RefreshSent: (
        SE_US @count_refresh @take_interval @start_timer_REFRESH -> Refreshing  # RFC 4028 §7.2 (the 2xx moves the expiration)
      | SE_PEER @count_refresh @take_interval @start_timer_EXPIRE -> Watching   # RFC 4028 §7.2, §10
      | SE_NONE @count_refresh @take_no_interval -> Untimed                     # RFC 4028 §7.2 (turned off mid-dialog)
      | RX_491 @choose_491_wait @start_timer_WAIT -> Waiting                    # RFC 3261 §14.1, RFC 4028 §10 (retry if possible)
      | RX_503 @choose_retry_after @start_timer_WAIT -> Waiting                 # RFC 3261 §21.5.4, RFC 4028 §10 (retry if possible)
      | RX_422 @raise_interval @send_refresh -> RefreshAgain                    # RFC 4028 §7.3, §10 (the refresh again at once with the 422's Min-SE)
      | AUTH_RETRY @send_refresh_with_credentials -> RefreshAgain               # RFC 4028 §10, RFC 3261 §22.2 (a 401/407: the refresh again with credentials)
      | AUTH_FAILED @refresh_failed -> Terminated                               # RFC 4028 §10, RFC 3261 §22.2 (a challenge we cannot answer)
      | RX_481_408 @refresh_failed -> Terminated                                # RFC 4028 §10, RFC 3261 §12.2.1.2 (BYE)
      | TXN_TIMEOUT @refresh_failed -> Terminated                               # RFC 4028 §10 (the refresh timed out: BYE)
      | RX_300_699 @refresh_failed -> Terminated                                # RFC 4028 §10 (not refreshed; the expiration has not moved)
      | NOT_SENT @refresh_failed -> Terminated                                  # RFC 4028 §10 (no refresh went out)
      | RX_REFRESH @answer_we_refresh -> RefreshSent                            # RFC 4028 §10, RFC 3311 §5.2 (the peer's refresh crossed ours)
      | RX_REFRESH_US @answer_we_refresh -> RefreshSent                         # RFC 4028 §9 Table 2
      | RX_REFRESH_PEER @answer_peer_refreshes @start_timer_EXPIRE -> Watching  # RFC 4028 §9 Table 2 (the peer refreshes from now on)
      | TU_END -> Terminated                                                    # RFC 3261 §15
    ),
    Waiting: (
        TIMER_WAIT @send_refresh -> RefreshAgain                                # RFC 3261 §14.1, §21.5.4 (the refresh once more)
      | RX_REFRESH @stop_timer_WAIT @answer_we_refresh @start_timer_REFRESH -> Refreshing        # RFC 4028 §10 (the peer's refresh refreshed the session)
      | RX_REFRESH_US @stop_timer_WAIT @answer_we_refresh @start_timer_REFRESH -> Refreshing     # RFC 4028 §9 Table 2
      | RX_REFRESH_PEER @stop_timer_WAIT @answer_peer_refreshes @start_timer_EXPIRE -> Watching  # RFC 4028 §9 Table 2
      | TU_END @stop_timer_WAIT -> Terminated                                   # RFC 3261 §15
    ),
    RefreshAgain: (
        SE_US @count_refresh @take_interval @start_timer_REFRESH -> Refreshing  # RFC 4028 §7.2
      | SE_PEER @count_refresh @take_interval @start_timer_EXPIRE -> Watching   # RFC 4028 §7.2, §10
      | SE_NONE @count_refresh @take_no_interval -> Untimed                     # RFC 4028 §7.2
      | RX_491 @refresh_failed -> Terminated                                    # RFC 4028 §10 (not continuously: once more only)
      | RX_503 @refresh_failed -> Terminated                                    # RFC 4028 §10 (once more only)
      | RX_422 @refresh_failed -> Terminated                                    # RFC 4028 §10 (once more only)
      | AUTH_RETRY @refresh_failed -> Terminated                                # RFC 4028 §10, RFC 3261 §22.2 (once more only)
      | AUTH_FAILED @refresh_failed -> Terminated                               # RFC 4028 §10, RFC 3261 §22.2
      | RX_481_408 @refresh_failed -> Terminated                                # RFC 4028 §10, RFC 3261 §12.2.1.2
      | TXN_TIMEOUT @refresh_failed -> Terminated                               # RFC 4028 §10
      | RX_300_699 @refresh_failed -> Terminated                                # RFC 4028 §10
      | NOT_SENT @refresh_failed -> Terminated                                  # RFC 4028 §10
      | RX_REFRESH @answer_we_refresh -> RefreshAgain                           # RFC 4028 §10, RFC 3311 §5.2
      | RX_REFRESH_US @answer_we_refresh -> RefreshAgain                        # RFC 4028 §9 Table 2
      | RX_REFRESH_PEER @answer_peer_refreshes @start_timer_EXPIRE -> Watching  # RFC 4028 §9 Table 2
      | TU_END -> Terminated                                                    # RFC 3261 §15
    ),
    Watching: (
        TIMER_EXPIRE @expired -> Terminated                                     # RFC 4028 §10 (no refresh: BYE with Reason: SIP;cause=408)
      | RX_REFRESH @stop_timer_EXPIRE @answer_peer_refreshes @start_timer_EXPIRE -> Watching     # RFC 4028 §10 (the peer refreshed)
      | RX_REFRESH_PEER @stop_timer_EXPIRE @answer_peer_refreshes @start_timer_EXPIRE -> Watching  # RFC 4028 §9 Table 2
      | RX_REFRESH_US @stop_timer_EXPIRE @answer_we_refresh @start_timer_REFRESH -> Refreshing   # RFC 4028 §9 Table 2 (refresher=uas: we refresh)
      | TU_END @stop_timer_EXPIRE -> Terminated                                 # RFC 3261 §15
    ),
    Untimed: (
        RX_REFRESH @answer_untimed -> Untimed                                   # RFC 3311 §5.2 (200), RFC 4028 §7.2 (still no expiration)
      | RX_REFRESH_US @answer_we_refresh @start_timer_REFRESH -> Refreshing     # RFC 4028 §9 (the peer asks for a timer: we refresh)
      | RX_REFRESH_PEER @answer_peer_refreshes @start_timer_EXPIRE -> Watching  # RFC 4028 §9 (the peer asks for a timer and refreshes)
      | TU_END -> Terminated                                                    # RFC 3261 §15
    ),
    Terminated: ( zlen )
  );
}%%
