/* test_tls.c: the TLS transport on 127.0.0.1 against itself and against a raw OpenSSL peer,
 * with the certificates tests/tls/make_certs.sh made (the tls_certs fixture; their folder is
 * argv[1] or SIPSPEC_TLS_CERTS):
 *  - exchange both ways, with 6 MB queued at once (SSL_write's partial writes and
 *    SSL_ERROR_WANT_WRITE), the reply on the accepted connection;
 *  - connections keyed on (address, name): a second name at the same address opens a second
 *    connection that the name check refuses, and going back to the first name reuses the
 *    first connection (no second handshake);
 *  - a peer that only speaks TLS 1.1: refused as a protocol version failure;
 *  - a server without a certificate refuses handshakes, a certificate whose key does not
 *    match fails the open naming both files. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "cunit_main.h"
#include "netutil.h"
#include "sipspec/telemetry.h"
#include "sipspec/tls.h"
#include "sipspec/transport.h"

static const char *certs;

static void path(char *out, size_t cap, const char *name) { snprintf(out, cap, "%s/%s", certs, name); }

typedef struct side {
  int nmsg, nerr;
  size_t bytes;
  char first[128];
  sipspec_sockaddr from;
  int err_code;
  char errmsg[SIPSPEC_ERR_LEN];
} side;

static void on_recv(sipspec_transport *tp, const char *data, size_t len, const sipspec_sockaddr *from, void *user) {
  side *s = user;
  (void)tp;
  if (!s->nmsg) snprintf(s->first, sizeof s->first, "%.*s", (int)(len < 100 ? len : 100), data);
  s->nmsg++;
  s->bytes += len;
  s->from = *from;
}

static void on_error(sipspec_transport *tp, const sipspec_tp_error *e, void *user) {
  side *s = user;
  (void)tp;
  s->nerr++;
  s->err_code = e->code;
  snprintf(s->errmsg, sizeof s->errmsg, "%s", e->message);
}

static int has_err(void *arg) { return ((side *)arg)->nerr > 0; }
typedef struct want { side *s; int n; } want;
static int has_n(void *arg) { want *w = arg; return w->s->nmsg >= w->n; }

static sipspec_transport *open_tls(struct ev_loop *loop, const sipspec_tls_config *cfg, int listen, side *s,
                                   sipspec_telemetry *tel, int *rc_out, char *err) {
  sipspec_transport_opts o;
  sipspec_transport_opts_init(&o);
  o.bind_host = "127.0.0.1";
  o.listen = listen;
  o.framer = &tst_line_framer;
  o.on_recv = on_recv;
  o.on_error = on_error;
  o.user = s;
  o.tls = cfg;
  o.tel = tel;
  o.max_queued_bytes = 16u << 20;
  sipspec_transport *tp = NULL;
  int rc = sipspec_transport_open(&sipspec_transport_tls, loop, &o, &tp, err, SIPSPEC_ERR_LEN);
  if (rc_out) *rc_out = rc;
  return tp;
}

static void server_cfg(sipspec_tls_config *c, const char *cert) {
  sipspec_tls_config_init(c);
  path(c->cert_file, sizeof c->cert_file, cert);
  path(c->key_file, sizeof c->key_file, "leaf.key");
}

static void client_cfg(sipspec_tls_config *c) {
  sipspec_tls_config_init(c);
  path(c->ca_file, sizeof c->ca_file, "ca.pem");
}

static void test_exchange_partial_writes(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  side srv = {0}, cli = {0};
  sipspec_telemetry tel_s, tel_c;
  sipspec_telemetry_init(&tel_s);
  sipspec_telemetry_init(&tel_c);
  sipspec_tls_config sc, cc;
  server_cfg(&sc, "good.pem");
  client_cfg(&cc);
  char err[SIPSPEC_ERR_LEN] = "";
  sipspec_transport *ts = open_tls(loop, &sc, 1, &srv, &tel_s, NULL, err);
  sipspec_transport *tc = open_tls(loop, &cc, 0, &cli, &tel_c, NULL, err);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ts);
  CU_ASSERT_PTR_NOT_NULL_FATAL(tc);
  CU_ASSERT_STRING_EQUAL(sipspec_transport_name(tc), "tls");
  CU_ASSERT(sipspec_transport_reliable(tc));
  sipspec_sockaddr sa;
  CU_ASSERT_EQUAL(sipspec_transport_bound_addr(ts, &sa), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_transport_set_peer_name(tc, &sa, "sip.test"), SIPSPEC_OK);
  enum { N = 100, LEN = 60000 };
  char *line = malloc(LEN + 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(line);
  for (int i = 0; i < N; i++) {
    memset(line, 'a' + i % 26, LEN);
    line[LEN] = '\n';
    CU_ASSERT_EQUAL(sipspec_transport_send(tc, &sa, line, LEN + 1), SIPSPEC_OK);
  }
  free(line);
  want w = {&srv, N};
  CU_ASSERT(tst_run_until(loop, has_n, &w, 20.0));
  CU_ASSERT_EQUAL(srv.nmsg, N);
  CU_ASSERT_EQUAL(srv.bytes, (size_t)N * LEN);
  CU_ASSERT_EQUAL(srv.first[0], 'a');
  CU_ASSERT_EQUAL(tel_c.sipTlsHandshakes, 1);
  CU_ASSERT_EQUAL(tel_s.sipTlsHandshakes, 1);
  /* the reply goes back on the accepted connection */
  CU_ASSERT_EQUAL(sipspec_transport_send(ts, &srv.from, "200 OK\n", 7), SIPSPEC_OK);
  want wc = {&cli, 1};
  CU_ASSERT(tst_run_until(loop, has_n, &wc, 5.0));
  CU_ASSERT_STRING_EQUAL(cli.first, "200 OK");
  CU_ASSERT_EQUAL(tel_c.sipTlsHandshakes, 1);
  CU_ASSERT_EQUAL(srv.nerr + cli.nerr, 0);
  sipspec_transport_close(tc);
  CU_ASSERT(tst_run_until(loop, has_err, &srv, 5.0)); /* close_notify then FIN: closed by the peer */
  CU_ASSERT_EQUAL(srv.err_code, SIPSPEC_E_CONN_CLOSED);
  sipspec_transport_close(ts);
  ev_loop_destroy(loop);
}

static void test_reuse_keyed_on_name(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  side srv = {0}, cli = {0};
  sipspec_telemetry tel_s, tel_c;
  sipspec_telemetry_init(&tel_s);
  sipspec_telemetry_init(&tel_c);
  sipspec_tls_config sc, cc;
  server_cfg(&sc, "good.pem");
  client_cfg(&cc);
  char err[SIPSPEC_ERR_LEN] = "";
  sipspec_transport *ts = open_tls(loop, &sc, 1, &srv, &tel_s, NULL, err);
  sipspec_transport *tc = open_tls(loop, &cc, 0, &cli, &tel_c, NULL, err);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ts);
  CU_ASSERT_PTR_NOT_NULL_FATAL(tc);
  sipspec_sockaddr sa;
  sipspec_transport_bound_addr(ts, &sa);
  CU_ASSERT_EQUAL(sipspec_transport_set_peer_name(tc, &sa, "sip.test"), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_transport_send(tc, &sa, "ONE\n", 4), SIPSPEC_OK);
  want w1 = {&srv, 1};
  CU_ASSERT(tst_run_until(loop, has_n, &w1, 5.0));
  /* another name at the same address: a new connection, refused by the name check */
  CU_ASSERT_EQUAL(sipspec_transport_set_peer_name(tc, &sa, "other.test"), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_transport_send(tc, &sa, "TWO\n", 4), SIPSPEC_OK);
  CU_ASSERT(tst_run_until(loop, has_err, &cli, 5.0));
  CU_ASSERT_EQUAL(cli.err_code, SIPSPEC_E_TLS_NAME);
  CU_ASSERT_PTR_NOT_NULL(strstr(cli.errmsg, "asked for 'other.test'"));
  CU_ASSERT_PTR_NOT_NULL(strstr(cli.errmsg, "DNS:sip.test"));
  CU_ASSERT_EQUAL(tel_c.sipTlsFailures, 1);
  CU_ASSERT_EQUAL(srv.nmsg, 1); /* TWO never reached the server */
  /* back to the first name: the first connection, still open, carries it */
  CU_ASSERT_EQUAL(sipspec_transport_set_peer_name(tc, &sa, "sip.test"), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_transport_send(tc, &sa, "THREE\n", 6), SIPSPEC_OK);
  want w2 = {&srv, 2};
  CU_ASSERT(tst_run_until(loop, has_n, &w2, 5.0));
  CU_ASSERT_EQUAL(tel_c.sipTlsHandshakes, 1);
  CU_ASSERT_EQUAL(tel_s.sipTlsHandshakes, 1);
  CU_ASSERT_EQUAL(cli.nerr, 1);
  CU_ASSERT_EQUAL(sipspec_transport_set_peer_name(tc, &sa, ""), SIPSPEC_E_INVAL);
  sipspec_transport_close(tc);
  sipspec_transport_close(ts);
  ev_loop_destroy(loop);
}

/* A raw TLS 1.1-only server on one accepted socket, driven from the loop's condition. */
typedef struct old_srv { int lfd, fd; SSL_CTX *ctx; SSL *ssl; side *cli; } old_srv;
static int old_srv_step(void *arg) {
  old_srv *o = arg;
  if (o->fd < 0 && (o->fd = accept(o->lfd, NULL, NULL)) >= 0) {
    fcntl(o->fd, F_SETFL, fcntl(o->fd, F_GETFL) | O_NONBLOCK);
    o->ssl = SSL_new(o->ctx);
    SSL_set_fd(o->ssl, o->fd);
  }
  if (o->ssl) (void)SSL_accept(o->ssl);
  return o->cli->nerr > 0;
}

static void test_protocol_version(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  side cli = {0};
  sipspec_telemetry tel;
  sipspec_telemetry_init(&tel);
  sipspec_tls_config cc;
  client_cfg(&cc);
  char err[SIPSPEC_ERR_LEN] = "", cert[600], key[600];
  sipspec_transport *tc = open_tls(loop, &cc, 0, &cli, &tel, NULL, err);
  CU_ASSERT_PTR_NOT_NULL_FATAL(tc);
  old_srv o = {-1, -1, SSL_CTX_new(TLS_server_method()), NULL, &cli};
  CU_ASSERT_PTR_NOT_NULL_FATAL(o.ctx);
  path(cert, sizeof cert, "good.pem");
  path(key, sizeof key, "leaf.key");
  SSL_CTX_set_security_level(o.ctx, 0);
  CU_ASSERT_EQUAL(SSL_CTX_set_min_proto_version(o.ctx, TLS1_VERSION), 1);
  CU_ASSERT_EQUAL(SSL_CTX_set_max_proto_version(o.ctx, TLS1_1_VERSION), 1);
  SSL_CTX_set_cipher_list(o.ctx, "DEFAULT:@SECLEVEL=0");
  CU_ASSERT_EQUAL(SSL_CTX_use_certificate_chain_file(o.ctx, cert), 1);
  CU_ASSERT_EQUAL(SSL_CTX_use_PrivateKey_file(o.ctx, key, SSL_FILETYPE_PEM), 1);
  sipspec_sockaddr sa;
  o.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  sipspec_sockaddr_set(&sa, "127.0.0.1", 0);
  CU_ASSERT_EQUAL_FATAL(bind(o.lfd, &sa.u.sa, sa.len), 0);
  CU_ASSERT_EQUAL_FATAL(listen(o.lfd, 4), 0);
  sa.len = sizeof sa.u;
  getsockname(o.lfd, &sa.u.sa, &sa.len);
  CU_ASSERT_EQUAL(sipspec_transport_set_peer_name(tc, &sa, "sip.test"), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_transport_send(tc, &sa, "HELLO\n", 6), SIPSPEC_OK);
  CU_ASSERT(tst_run_until(loop, old_srv_step, &o, 5.0));
  CU_ASSERT_EQUAL(cli.err_code, SIPSPEC_E_TLS_PROTOCOL);
  CU_ASSERT_PTR_NOT_NULL(strstr(cli.errmsg, "protocol version"));
  CU_ASSERT_EQUAL(tel.sipTlsFailures, 1);
  SSL_free(o.ssl);
  SSL_CTX_free(o.ctx);
  if (o.fd >= 0) close(o.fd);
  close(o.lfd);
  ERR_clear_error();
  sipspec_transport_close(tc);
  ev_loop_destroy(loop);
}

static void test_open_errors(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  side s = {0};
  sipspec_tls_config c;
  server_cfg(&c, "good.pem");
  path(c.key_file, sizeof c.key_file, "other.key");
  char err[SIPSPEC_ERR_LEN] = "";
  int rc = 0;
  CU_ASSERT_PTR_NULL(open_tls(loop, &c, 1, &s, NULL, &rc, err));
  CU_ASSERT_EQUAL(rc, SIPSPEC_E_TLS_CERT);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "does not match"));
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "other.key"));
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "good.pem"));
  server_cfg(&c, "missing.pem");
  CU_ASSERT_PTR_NULL(open_tls(loop, &c, 1, &s, NULL, &rc, err));
  CU_ASSERT_EQUAL(rc, SIPSPEC_E_TLS_CERT);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "missing.pem"));
  sipspec_tls_config_init(&c);
  snprintf(c.ca_file, sizeof c.ca_file, "%s/none.pem", certs);
  CU_ASSERT_PTR_NULL(open_tls(loop, &c, 0, &s, NULL, &rc, err));
  CU_ASSERT_EQUAL(rc, SIPSPEC_E_TLS_CERT);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "none.pem"));
  /* a listener without a certificate: a client's handshake fails, nothing is delivered */
  side srv = {0}, cli = {0};
  sipspec_tls_config plain, cc;
  sipspec_tls_config_init(&plain);
  client_cfg(&cc);
  sipspec_transport *ts = open_tls(loop, &plain, 1, &srv, NULL, &rc, err);
  sipspec_transport *tc = open_tls(loop, &cc, 0, &cli, NULL, &rc, err);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ts);
  CU_ASSERT_PTR_NOT_NULL_FATAL(tc);
  sipspec_sockaddr sa;
  sipspec_transport_bound_addr(ts, &sa);
  CU_ASSERT_EQUAL(sipspec_transport_send(tc, &sa, "HELLO\n", 6), SIPSPEC_OK);
  CU_ASSERT(tst_run_until(loop, has_err, &cli, 5.0));
  CU_ASSERT_EQUAL(cli.err_code, SIPSPEC_E_TLS_HANDSHAKE);
  CU_ASSERT(tst_run_until(loop, has_err, &srv, 5.0));
  CU_ASSERT_EQUAL(srv.err_code, SIPSPEC_E_TLS_CERT);
  CU_ASSERT_EQUAL(srv.nmsg, 0);
  sipspec_transport_close(tc);
  sipspec_transport_close(ts);
  ev_loop_destroy(loop);
}

static const tst_case cases[] = {
  {"exchange with 6 MB queued: partial writes, reply on the accepted connection", test_exchange_partial_writes},
  {"connections keyed on (address, name)", test_reuse_keyed_on_name},
  {"a TLS 1.1 peer: protocol version", test_protocol_version},
  {"certificate, key and CA errors at open; a listener without a certificate", test_open_errors},
  {NULL, NULL},
};

int main(int argc, char **argv) {
  certs = argc > 1 ? argv[1] : getenv("SIPSPEC_TLS_CERTS");
  if (!certs) {
    fprintf(stderr, "test_tls: the certificate folder (argv[1] or SIPSPEC_TLS_CERTS) is required\n");
    return 1;
  }
  return tst_main("tls", cases);
}
