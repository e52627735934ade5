# spec/locate.rl: finding where to send a request for a SIP or SIPS URI (RFC 3263 §4): the
# transport, the port and the addresses, as an ordered list of targets to try in turn.
#
# One machine per query (runtime/src/net/resolver.c). The caller starts it with what the URI
# and the configuration give: no transport and no port for a domain name starts with NAPTR
# (LOC_NAPTR); a transport but no port starts with that transport's SRV name (LOC_SRV); a
# port, an IP literal, or MRCP_SIP_DNS_SRV=0 goes straight to the addresses (LOC_ADDR).
# The DNS answers arrive as events: DNS_FOUND when they hold records we can use (a NAPTR
# record of a service we support, an SRV record, an address; from the DNS, the cache or the
# hosts file), DNS_NONE when the name does not exist or has no such record, DNS_FAIL when the
# servers failed or did not answer (c-ares gives up after its own timeouts and tries). Which
# record comes first (NAPTR order and preference, SRV priority and weight) is data, sorted by
# the actions; the chart says which lookup follows which.
#
# A server failure ends the search at once (one failing lookup says the DNS is down; more
# would only add timeouts), with the targets found so far if there are some. A name that
# does not exist only drops that name: the next one on the list is tried.
#
#@ title: Locating SIP servers for a URI
#@ rfc: RFC 3263 §4.1, §4.2; RFC 2782 (usage rules)
#@ final: Done
#@ actions: context=sipspec_resolve_query prefix=loc_act_ in=runtime/src/net/resolver.c
#
# The query may be cancelled whatever it waits for (TU_END); a finished one ignores it.
#@ undefined Done TU_END: ignore
#@ undefined * *: error

%%{
  machine locate;

  main := (
    start: Idle: (
        LOC_NAPTR @query_naptr -> Naptr                                        # RFC 3263 §4.1 para 4
      | LOC_SRV @srv_name_of_transport @query_srv -> Srv                       # RFC 3263 §4.2 para 4
      | LOC_ADDR @target_is_name @query_addr -> Address                        # RFC 3263 §4.2 para 2-3
    ),
    Naptr: (
        DNS_FOUND @srv_names_of_naptr @query_srv -> Srv                        # RFC 3263 §4.1 para 5-6
      | DNS_NONE @srv_names_of_supported @query_srv -> Srv                     # RFC 3263 §4.1 para 12
      | DNS_FAIL @report_failure -> Done                                       # RFC 3263 §4.3
      | TU_END @forget -> Done                                                 # RFC 3263 §4
    ),
    Srv: (
        DNS_FOUND @order_srv_targets @query_addr -> Address                    # RFC 3263 §4.2 para 4; RFC 2782
      | DNS_NONE @next_srv_name -> Srv                                         # RFC 3263 §4.1 para 12
      | LOC_MORE @query_srv -> Srv                                             # RFC 3263 §4.1 para 12
      | LOC_NO_MORE @target_is_name @query_addr -> Address                     # RFC 3263 §4.1 para 13, §4.2 para 5
      | DNS_FAIL @report_failure -> Done                                       # RFC 3263 §4.3
      | TU_END @forget -> Done                                                 # RFC 3263 §4
    ),
    Address: (
        DNS_FOUND @take_addresses @next_target -> Address                      # RFC 3263 §4.2 para 3
      | DNS_NONE @note_missing @next_target -> Address                         # RFC 3263 §4.2 para 3; RFC 2782
      | LOC_MORE @query_addr -> Address                                        # RFC 2782 (the next target)
      | LOC_NO_MORE @deliver -> Done                                           # RFC 3263 §4.2 para 3
      | DNS_FAIL @deliver -> Done                                              # RFC 3263 §4.3
      | TU_END @forget -> Done                                                 # RFC 3263 §4
    ),
    Done: ( zlen )
  );
}%%
