/* tsx_test_util.c: see tsx_test_util.h. */
#include "tsx_test_util.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "sipspec/coverage.h"

int tt_main(const char *suite, const tt_case *cases) {
  signal(SIGPIPE, SIG_IGN);
  /* With SIPSPEC_COVERAGE_FILE set (CTest sets it), the charts' counts go there at exit. */
  if (sipspec_coverage_install_atexit() != SIPSPEC_OK) return 2;
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite(suite, NULL, NULL);
  for (const tt_case *c = cases; c->name; c++) CU_add_test(s, c->name, c->fn);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  unsigned run = CU_get_number_of_tests_run();
  CU_cleanup_registry();
  return failed || run == 0 ? 1 : 0;
}

/* ---- per-transaction records --------------------------------------------------------------- */

static void rec_response(sipspec_tsx *t, const sipspec_msg *resp, void *user) {
  tt_rec *r = user;
  (void)t;
  if (r->n_resp < TT_MAX) r->status[r->n_resp] = sipspec_msg_status(resp);
  r->n_resp++;
}
static void rec_timeout(sipspec_tsx *t, void *user) {
  tt_rec *r = user;
  r->timeouts++;
  r->state_at_timeout = sipspec_tsx_state(t);
}
static void rec_error(sipspec_tsx *t, int code, void *user) {
  tt_rec *r = user;
  r->transport_errors++;
  r->last_error = code;
  r->state_at_error = sipspec_tsx_state(t);
}
static void rec_terminated(sipspec_tsx *t, void *user) {
  tt_rec *r = user;
  (void)t;
  r->terminated++;
  r->t = NULL;
}
const sipspec_tsx_callbacks tt_rec_callbacks = {rec_response, rec_timeout, rec_error, rec_terminated, NULL};

/* ---- sides --------------------------------------------------------------------------------- */

static void side_request(sipspec_tsx *t, const sipspec_msg *req, void *user) {
  tt_side *s = user;
  if (s->n_requests >= TT_MAX) return;
  tt_rec *r = &s->srv[s->n_requests++];
  memset(r, 0, sizeof *r);
  r->t = t;
  sipspec_tsx_callbacks cb = tt_rec_callbacks;
  cb.user = r;
  sipspec_tsx_set_callbacks(t, &cb);
  sipspec_span m = sipspec_msg_method_text(req);
  snprintf(s->last_method, sizeof s->last_method, "%.*s", (int)m.len, m.p);
  for (int i = 0; i < s->n_answer; i++)
    CU_ASSERT_EQUAL(sipspec_tsx_respond(t, s->answer[i], NULL, NULL, NULL, 0), SIPSPEC_OK);
  if (s->hook) s->hook(s, t, req);
}
static void side_ack(sipspec_tsx_layer *l, const sipspec_msg *ack, sipspec_transport *tp,
                     const sipspec_sockaddr *from, void *user) {
  (void)l, (void)ack, (void)tp, (void)from;
  ((tt_side *)user)->n_acks++;
}
static void side_stray(sipspec_tsx_layer *l, const sipspec_msg *resp, sipspec_transport *tp,
                       const sipspec_sockaddr *from, void *user) {
  tt_side *s = user;
  (void)l, (void)tp, (void)from;
  s->n_stray++;
  s->stray_status = sipspec_msg_status(resp);
}

/* The clock in use when it runs on loop, else NULL (libev's). */
static sipspec_clock *loop_clock(struct ev_loop *loop) {
  sipspec_clock *c = tst_clock();
  return c && sipspec_clock_loop(c) == loop ? c : NULL;
}

sipspec_clock *tt_clock_begin(struct ev_loop *loop) {
  sipspec_clock *c = sipspec_clock_virtual_new(loop, 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(c);
  tst_use_clock(c);
  return c;
}

void tt_clock_end(sipspec_clock *c) {
  if (tst_clock() == c) tst_use_clock(NULL);
  sipspec_clock_free(c);
}

void tt_side_open(tt_side *s, struct ev_loop *loop, sipspec_tp_kind kind, unsigned t1, unsigned t2,
                  unsigned t4) {
  sipspec_config cfg;
  sipspec_config_init(&cfg);
  cfg.t1_ms = t1, cfg.t2_ms = t2, cfg.t4_ms = t4;
  tt_side_open_cfg(s, loop, kind, &cfg);
}

void tt_side_open_cfg(tt_side *s, struct ev_loop *loop, sipspec_tp_kind kind, const sipspec_config *cfg) {
  memset(s, 0, sizeof *s);
  s->loop = loop;
  sipspec_telemetry_init(&s->tel);
  sipspec_tsx_layer_callbacks cb = {side_request, side_ack, side_stray, s};
  CU_ASSERT_EQUAL_FATAL(sipspec_tsx_layer_create(loop, cfg, &s->tel, &cb, &s->layer), SIPSPEC_OK);
  sipspec_clock *c = loop_clock(loop);
  if (c) CU_ASSERT_EQUAL_FATAL(sipspec_tsx_layer_use_clock(s->layer, c), SIPSPEC_OK);
  sipspec_transport_opts o;
  sipspec_transport_opts_init(&o);
  o.clock = c;
  o.bind_host = "127.0.0.1";
  o.listen = kind == SIPSPEC_TP_TCP;
  char err[SIPSPEC_ERR_LEN] = "";
  int rc = sipspec_tsx_layer_open_transport(s->layer, sipspec_transport_type_for(kind), &o, &s->tp, err,
                                            sizeof err);
  if (rc) fprintf(stderr, "open: %s\n", err);
  CU_ASSERT_EQUAL_FATAL(rc, SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_transport_bound_addr(s->tp, &s->addr), SIPSPEC_OK);
}

void tt_side_close(tt_side *s) {
  sipspec_tsx_layer_destroy(s->layer);
  s->layer = NULL;
}

/* ---- sinks --------------------------------------------------------------------------------- */

static void sink_recv(sipspec_transport *tp, const char *data, size_t len, const sipspec_sockaddr *from,
                      void *user) {
  tt_sink *k = user;
  (void)tp;
  if (k->n < TT_MAX) k->at[k->n] = tst_now_ms(k->loop);
  k->n++;
  if (k->match && len >= strlen(k->match) && !memcmp(data, k->match, strlen(k->match))) k->n_match++;
  k->last_len = len < sizeof k->last ? len : sizeof k->last - 1;
  memcpy(k->last, data, k->last_len);
  k->last[k->last_len] = '\0';
  k->last_from = *from;
}

void tt_sink_open(tt_sink *k, struct ev_loop *loop, sipspec_tp_kind kind) {
  memset(k, 0, sizeof *k);
  k->loop = loop;
  sipspec_transport_opts o;
  sipspec_transport_opts_init(&o);
  o.clock = loop_clock(loop);
  o.bind_host = "127.0.0.1";
  o.listen = kind == SIPSPEC_TP_TCP;
  o.framer = &sipspec_sip_stream_framer;
  o.on_recv = sink_recv;
  o.user = k;
  char err[SIPSPEC_ERR_LEN] = "";
  int rc = sipspec_transport_open(sipspec_transport_type_for(kind), loop, &o, &k->tp, err, sizeof err);
  if (rc) fprintf(stderr, "sink: %s\n", err);
  CU_ASSERT_EQUAL_FATAL(rc, SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_transport_bound_addr(k->tp, &k->addr), SIPSPEC_OK);
}

/* ---- requests ------------------------------------------------------------------------------ */

size_t tt_request(char *buf, size_t cap, const char *method, const char *transport,
                  const sipspec_sockaddr *via_addr, const char *branch, unsigned cseq, int rport) {
  char fresh[SIPSPEC_TSX_BRANCH_SIZE], host[SIPSPEC_SOCKADDR_STRLEN], via[256], line[256];
  if (!branch) {
    CU_ASSERT_EQUAL(sipspec_tsx_new_branch(fresh, sizeof fresh), SIPSPEC_OK);
    branch = fresh;
  }
  snprintf(via, sizeof via, "SIP/2.0/%s %s;branch=%s%s", transport,
           sipspec_sockaddr_format(via_addr, host, sizeof host), branch, rport ? ";rport" : "");
  sipspec_build b;
  sipspec_build_init(&b, buf, cap);
  sipspec_span uri = {"sip:mrcp@127.0.0.1", 18};
  sipspec_build_request_line(&b, (sipspec_span){method, strlen(method)}, uri);
#define TT_H(n, v) sipspec_build_header(&b, (sipspec_span){n, strlen(n)}, (sipspec_span){v, strlen(v)})
  TT_H("Via", via);
  TT_H("Max-Forwards", "70");
  TT_H("From", "<sip:client@127.0.0.1>;tag=c1");
  TT_H("To", "<sip:mrcp@127.0.0.1>");
  snprintf(line, sizeof line, "%s@127.0.0.1", branch + 7);
  TT_H("Call-ID", line);
  snprintf(line, sizeof line, "%u %s", cseq, method);
  TT_H("CSeq", line);
#undef TT_H
  CU_ASSERT_EQUAL(sipspec_build_finish(&b, (sipspec_span){"", 0}), SIPSPEC_OK);
  return b.len;
}

int tt_int_at_least(void *arg) {
  tt_want *w = arg;
  return *w->value >= w->at_least;
}

int tt_run_until_count(struct ev_loop *loop, const int *value, int at_least, double max_s) {
  tt_want w = {value, at_least};
  return tst_run_until(loop, tt_int_at_least, &w, max_s);
}

/* ---- requests as typed fields ------------------------------------------------------------ */

/* params without its ";tag=..." parameter (the tag is a field of its own). */
static sipspec_span strip_tag(sipspec_span params, char *buf, size_t cap) {
  size_t n = 0;
  const char *p = params.p, *end = params.p + params.len;
  while (p && p < end) {
    const char *q = memchr(p + 1, ';', (size_t)(end - p - 1));
    if (!q) q = end;
    if (!((size_t)(q - p) >= 5 && !strncasecmp(p, ";tag=", 5)) && n + (size_t)(q - p) < cap) {
      memcpy(buf + n, p, (size_t)(q - p));
      n += (size_t)(q - p);
    }
    p = q;
  }
  return (sipspec_span){buf, n};
}

static int addr_fields(const sipspec_addr *a, sipspec_addr_fields *f, char *disp, char *params, size_t cap) {
  long dn = a->display.len ? sipspec_unquote(a->display, disp, cap) : 0;
  if (dn < 0) return SIPSPEC_E_RANGE;
  f->display = (sipspec_span){disp, (size_t)dn};
  f->uri = a->uri;
  f->tag = a->tag;
  f->params = strip_tag(a->params, params, cap);
  return SIPSPEC_OK;
}

int tt_fields_of(tt_fields *o, const char *text, size_t len) {
  memset(&o->f, 0, sizeof o->f);
  if (!o->m && sipspec_msg_create(&o->m, NULL) != SIPSPEC_OK) return SIPSPEC_E_NOMEM;
  int rc = sipspec_msg_parse(o->m, text, len);
  if (rc) return rc;
  const sipspec_msg *m = o->m;
  if (!sipspec_msg_is_request(m)) return SIPSPEC_E_TSX_BAD_REQUEST;
  sipspec_request_fields *f = &o->f;
  sipspec_via v;
  sipspec_addr a;
  f->method = sipspec_msg_method_text(m);
  f->request_uri = sipspec_msg_request_uri(m);
  if (sipspec_msg_via(m, 0, &v) == SIPSPEC_OK)
    f->via = (sipspec_via_fields){v.transport, v.host, v.port > 0 ? v.port : 0, v.branch, v.rport >= 0, v.received};
  f->max_forwards = sipspec_msg_max_forwards(m);
  size_t n = 0;
  for (size_t i = 0; i < sipspec_msg_value_count(m, SIPSPEC_H_ROUTE) && n < 16; i++)
    if (sipspec_msg_route(m, i, &a) == SIPSPEC_OK) o->routes[n++] = a.uri;
  f->routes = o->routes;
  f->n_routes = n;
  if (sipspec_msg_from(m, &a) == SIPSPEC_OK) addr_fields(&a, &f->from, o->disp[0], o->params[0], sizeof o->params[0]);
  if (sipspec_msg_to(m, &a) == SIPSPEC_OK) addr_fields(&a, &f->to, o->disp[1], o->params[1], sizeof o->params[1]);
  if (sipspec_msg_value_count(m, SIPSPEC_H_CONTACT) && sipspec_msg_contact(m, 0, &a) == SIPSPEC_OK) {
    addr_fields(&a, &o->contact, o->disp[2], o->params[2], sizeof o->params[2]);
    f->contact = &o->contact;
  }
  f->call_id = sipspec_msg_call_id(m);
  f->cseq = sipspec_msg_cseq(m);
  n = 0;
  for (size_t i = 0; i < sipspec_msg_header_count(m) && n < 32; i++) {
    sipspec_header h;
    if (sipspec_msg_header(m, i, &h) != SIPSPEC_OK) continue;
    switch (h.id) {
    case SIPSPEC_H_VIA: case SIPSPEC_H_MAX_FORWARDS: case SIPSPEC_H_ROUTE: case SIPSPEC_H_FROM: case SIPSPEC_H_TO:
    case SIPSPEC_H_CALL_ID: case SIPSPEC_H_CSEQ: case SIPSPEC_H_CONTACT: case SIPSPEC_H_CONTENT_LENGTH: break;
    case SIPSPEC_H_CONTENT_TYPE: f->content_type = h.value; break;
    default: o->hdrs[n++] = (sipspec_ext_header){h.name, h.value}; break;
    }
  }
  f->headers = o->hdrs;
  f->n_headers = n;
  f->body = sipspec_msg_body(m);
  /* A request whose CSeq method is not its method has no fields (the builder writes one). */
  sipspec_span cm = sipspec_msg_cseq_method_text(m);
  if (cm.len != f->method.len || memcmp(cm.p, f->method.p, cm.len)) return SIPSPEC_E_TSX_BAD_REQUEST;
  return SIPSPEC_OK;
}

void tt_fields_done(tt_fields *o) {
  sipspec_msg_destroy(o->m);
  o->m = NULL;
}

int tt_start_text(sipspec_tsx_layer *l, sipspec_tp_kind kind, const sipspec_sockaddr *dest, const char *req, size_t n,
                  const sipspec_tsx_callbacks *cb, sipspec_tsx **out) {
  tt_fields o;
  memset(&o, 0, sizeof o);
  int rc = tt_fields_of(&o, req, n);
  if (!rc) rc = sipspec_tsx_client_start(l, kind, dest, &o.f, cb, out);
  tt_fields_done(&o);
  return rc;
}
